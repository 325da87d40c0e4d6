"""MS-OVBA compression ([MS-OVBA] 2.4.1): how VBA stores module source and the dir stream.

A compressed container is the signature byte 0x01 followed by chunks, one per
4096 bytes of input.  A chunk is a 2-byte header (its size, a signature and a
"compressed" flag) and token sequences: a flag byte, then eight tokens, each a
literal byte or a 2-byte copy token (offset back, length) into the chunk's
already decompressed bytes.  How many of a copy token's 16 bits hold the offset
grows with the position in the chunk (at least 4, enough to reach its start).
"""

from __future__ import annotations

CHUNK = 4096
_MIN_MATCH = 3


def _offset_bits(position: int) -> int:
    """Bits of a copy token given to the offset at `position` in the chunk:
    ceil(log2(position)), at least 4."""
    bits = 4
    while (1 << bits) < position:
        bits += 1
    return bits


def _longest_match(chunk: bytes, pos: int, candidates: list[int], max_length: int) -> tuple[int, int]:
    """(offset, length) of the longest earlier match for chunk[pos:], the nearest of equals."""
    best_len, best_off = 0, 0
    limit = min(max_length, len(chunk) - pos)
    for start in reversed(candidates):
        length = 0
        while length < limit and chunk[start + length] == chunk[pos + length]:
            length += 1
        if length > best_len:
            best_len, best_off = length, pos - start
            if length == limit:
                break
    return best_off, best_len


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}       # 3-byte prefix -> earlier positions (match candidates)
    pos = 0

    def remember(upto: int) -> None:
        nonlocal done
        while done < upto:
            if done + _MIN_MATCH <= len(chunk):
                seen.setdefault(chunk[done:done + _MIN_MATCH], []).append(done)
            done += 1

    done = 0
    while pos < len(chunk):
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(chunk):
                break
            remember(pos)
            bits = _offset_bits(pos)
            max_length = (0xFFFF >> bits) + _MIN_MATCH
            offset, length = _longest_match(chunk, pos, seen.get(chunk[pos:pos + _MIN_MATCH], []), max_length)
            if length >= _MIN_MATCH:
                token = ((offset - 1) << (16 - bits)) | (length - _MIN_MATCH)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                pos += length
            else:
                out.append(chunk[pos])
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """The compressed container for `data`."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > CHUNK:            # incompressible: a raw chunk, always 4096 bytes (a short
            # last chunk comes back padded with zeros, as the format has it; text never gets here)
            body = chunk.ljust(CHUNK, b"\x00")
            header = 0x3000 | (CHUNK + 2 - 3)
        else:                            # size field: the chunk's bytes with its header, minus 3
            header = 0x8000 | 0x3000 | (len(body) + 2 - 3)
        out += header.to_bytes(2, "little") + body
    return bytes(out)
