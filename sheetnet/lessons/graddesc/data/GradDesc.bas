Attribute VB_Name = "GradDesc"
' sheetnet: the gradient-descent lesson's macro buttons.
'
' A sheet built by `sheetnet build graddesc --macros` holds one epoch: a
' "state" row of values -- b and a going into the first data row, the
' optimiser's state (m, v) and the epoch's learning rate -- then one row of
' formulas per data point.  The buttons run one epoch at a time by pasting
' values back into the state row, as the lesson's buttons do:
'
'   Reset      b, a and lr from the yellow start cells, then the optimiser's
'              state warmed up by passes with b and a held fixed
'   One step   one epoch: the last row's inputs b, a and its updated m, v
'              become the state (the last row's own update of b, a is
'              dropped, as in the lesson); on adam_ann then the annealing
'   Five steps One step five times
'
' Cells are found by workbook names made of the sheet's code name and the
' cell's role (Formulas > Name Manager): basic_state_b, basic_last_b,
' basic_lr ..., and the optimiser by <code name>_optimiser.  (Workbook names,
' not names local to the sheet: LibreOffice's VBA resolves only those.)
' Every button works on the sheet it sits on.
Option Explicit

Public Sub ResetOptimiser()
    ResetSheet ActiveSheet
End Sub

Public Sub OneStep()
    StepSheet ActiveSheet
End Sub

Public Sub FiveSteps()
    Dim i As Integer
    For i = 1 To 5
        StepSheet ActiveSheet
    Next i
End Sub

' The cell of a role on the sheet: the workbook name <code name>_<role>.
Private Function Cell(ws As Object, role As String) As Object
    Set Cell = ws.Range(ws.CodeName & "_" & role)
End Function

' The optimiser state a sheet carries from one epoch to the next.
Private Function StateColumns(ws As Object) As String
    Select Case Cell(ws, "optimiser").Value
    Case "momentum"
        StateColumns = "m_b,m_a"
    Case "rmsprop"
        StateColumns = "v_b,v_a"
    Case "adam", "adam_ann"
        StateColumns = "m_b,m_a,v_b,v_a"
    Case Else
        StateColumns = ""
    End Select
End Function

' Paste, as values, the last data row's cells of the listed columns into the
' state row.  Every value is read before any is written: under automatic
' calculation each write recalculates the rows below it.
Private Sub CopyBack(ws As Object, columns As String)
    Dim keys As Variant, values() As Double, i As Integer
    keys = Split(columns, ",")
    ReDim values(LBound(keys) To UBound(keys))
    For i = LBound(keys) To UBound(keys)
        values(i) = Cell(ws, "last_" & keys(i)).Value
    Next i
    For i = LBound(keys) To UBound(keys)
        Cell(ws, "state_" & keys(i)).Value = values(i)
    Next i
    Application.Calculate
End Sub

Private Sub SetPair(ws As Object, key1 As String, key2 As String, start As Double)
    Cell(ws, "state_" & key1).Value = start
    Cell(ws, "state_" & key2).Value = start
End Sub

' Reset: start values, then the warm-up passes (b and a stay at their start
' values; each pass is a recalculation of the rows from the state row).
Private Sub ResetSheet(ws As Object)
    Cell(ws, "state_b").Value = Cell(ws, "b_start").Value
    Cell(ws, "state_a").Value = Cell(ws, "a_start").Value
    Cell(ws, "state_lr").Value = Cell(ws, "lr").Value
    Select Case Cell(ws, "optimiser").Value
    Case "momentum"
        ' m: one pass from 0
        SetPair ws, "m_b", "m_a", 0
        Application.Calculate
        CopyBack ws, "m_b,m_a"
    Case "rmsprop"
        ' v: two passes from v_start
        SetPair ws, "v_b", "v_a", Cell(ws, "v_start").Value
        Application.Calculate
        CopyBack ws, "v_b,v_a"
        CopyBack ws, "v_b,v_a"
    Case "adam"
        ' m from 0, v from v_start; then v, m, v, m pasted in turn, one pass each
        SetPair ws, "m_b", "m_a", 0
        SetPair ws, "v_b", "v_a", Cell(ws, "v_start").Value
        Application.Calculate
        CopyBack ws, "v_b,v_a"
        CopyBack ws, "m_b,m_a"
        CopyBack ws, "v_b,v_a"
        CopyBack ws, "m_b,m_a"
    Case "adam_ann"
        ' two passes pasting m and v; prev_grad2 keeps avg_grad2 as it stood after the first
        SetPair ws, "m_b", "m_a", 0
        SetPair ws, "v_b", "v_a", Cell(ws, "v_start").Value
        Application.Calculate
        CopyBack ws, "m_b,m_a,v_b,v_a"
        Cell(ws, "state_prev").Value = Cell(ws, "state_avg").Value
        CopyBack ws, "m_b,m_a,v_b,v_a"
    End Select
    Application.Calculate
End Sub

' One epoch: the inputs b, a of the last row and its updated state.
Private Sub StepSheet(ws As Object)
    Dim state As String
    Application.Calculate
    state = StateColumns(ws)
    If state = "" Then
        CopyBack ws, "b,a"
    Else
        CopyBack ws, "b,a," & state
    End If
    If Cell(ws, "optimiser").Value = "adam_ann" Then AnnealLearningRate ws
End Sub

' adam_ann after each epoch: avg_grad2 = SQRT(v_b) + SQRT(v_a) of the new state;
' when gradrat = avg_grad2 / prev_grad2 exceeds cut_ratio the learning rate is
' divided by cut_factor; prev_grad2 keeps the smallest avg_grad2 seen.
Private Sub AnnealLearningRate(ws As Object)
    Dim avg As Double, prev As Double, ratio As Double
    avg = Cell(ws, "state_avg").Value
    prev = Cell(ws, "state_prev").Value
    ratio = Cell(ws, "state_gradrat").Value
    If ratio > Cell(ws, "cut_ratio").Value Then
        Cell(ws, "state_lr").Value = Cell(ws, "state_lr").Value / Cell(ws, "cut_factor").Value
    End If
    If avg < prev Then Cell(ws, "state_prev").Value = avg
    Application.Calculate
End Sub
