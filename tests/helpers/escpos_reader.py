"""Read ESC/POS bytes back the way a printer would: the commands, and the printed lines with the
columns each takes. Independent of the renderer: any byte it does not understand is an error.

Widths are counted from the bytes: an ASCII byte is one column, a two-byte GB character printed in
Chinese mode is a full-width glyph of two columns; GS ! multiplies both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, LF = 0x1B, 0x1D, 0x1C, 0x0A


@dataclass
class PrintedLine:
    text: str = ""
    columns: int = 0


@dataclass
class Reading:
    commands: list[tuple[str, bytes]] = field(default_factory=list)
    lines: list[PrintedLine] = field(default_factory=list)
    barcodes: list[tuple[int, bytes]] = field(default_factory=list)  # (GS k m, data)
    qr_codes: list[bytes] = field(default_factory=list)
    chinese_segments: list[bytes] = field(default_factory=list)  # raw bytes between FS & and FS .

    def names(self) -> list[str]:
        return [name for name, _args in self.commands]

    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


def read(payload: bytes, *, encoding: str = "gb18030") -> Reading:
    reading = Reading()
    line = PrintedLine()
    chinese = False
    chinese_start = 0
    scale = 1
    i = 0
    pending = bytearray()  # text bytes of the current run

    def flush_text() -> None:
        nonlocal pending
        if not pending:
            return
        if chinese:
            line.text += bytes(pending).decode(encoding)
        else:
            assert bytes(pending).isascii(), f"non-ASCII bytes outside Chinese mode: {bytes(pending)!r}"
            line.text += bytes(pending).decode("ascii")
        line.columns += len(pending) * scale
        pending = bytearray()

    def end_line() -> None:
        nonlocal line
        flush_text()
        reading.lines.append(line)
        line = PrintedLine()

    def command(name: str, args: bytes = b"") -> None:
        flush_text()
        reading.commands.append((name, args))

    while i < len(payload):
        byte = payload[i]
        if byte == LF:
            end_line()
            i += 1
        elif byte == ESC:
            op = payload[i + 1]
            if op == ord("@"):
                command("ESC @")
                i += 2
            elif op in b"aE!dt3":
                command(f"ESC {chr(op)}", payload[i + 2:i + 3])
                if op == ord("d"):
                    for _ in range(payload[i + 2]):
                        end_line()
                i += 3
            else:
                raise AssertionError(f"unknown ESC {op:#x} at {i}")
        elif byte == GS:
            op = payload[i + 1]
            if op == ord("!"):
                n = payload[i + 2]
                scale = (n >> 4) + 1
                command("GS !", bytes([n]))
                i += 3
            elif op in b"hwfH":
                command(f"GS {chr(op)}", payload[i + 2:i + 3])
                i += 3
            elif op == ord("k"):
                m = payload[i + 2]
                if m >= 65:
                    n = payload[i + 3]
                    data = payload[i + 4:i + 4 + n]
                    i += 4 + n
                else:
                    end = payload.index(0, i + 3)
                    data = payload[i + 3:end]
                    i = end + 1
                command("GS k", bytes([m]) + data)
                reading.barcodes.append((m, data))
            elif op == ord("(") and payload[i + 2] == ord("k"):
                size = payload[i + 3] + 256 * payload[i + 4]
                body = payload[i + 5:i + 5 + size]
                command("GS ( k", body)
                if body[:2] == b"1P":
                    reading.qr_codes.append(body[3:])
                i += 5 + size
            elif op == ord("V"):
                m = payload[i + 2]
                length = 4 if m in (65, 66) else 3
                command("GS V", payload[i + 2:i + length])
                i += length
            else:
                raise AssertionError(f"unknown GS {op:#x} at {i}")
        elif byte == FS:
            op = payload[i + 1]
            if op == ord("&"):
                command("FS &")
                chinese = True
                chinese_start = i + 2
            elif op == ord("."):
                command("FS .")
                reading.chinese_segments.append(payload[chinese_start:i])
                chinese = False
            else:
                raise AssertionError(f"unknown FS {op:#x} at {i}")
            i += 2
        elif byte < 0x20 or byte == 0x7F:
            raise AssertionError(f"stray control byte {byte:#x} at {i}")
        elif chinese and byte >= 0x80:
            pending += payload[i:i + 2]
            i += 2
        else:
            pending.append(byte)
            i += 1
    if pending or line.text:
        end_line()
    assert not chinese, "Chinese mode left on at the end"
    return reading
