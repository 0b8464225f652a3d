"""A summary file's text: .txt/.md bytes decoded, .docx paragraphs and tables in order, or a refusal in Chinese."""

from __future__ import annotations

import io

from metrics.core.record import Stats
from metrics.reading.sniff import FileRefused, check_inflation, check_size, decode_text

SUMMARY_EXTENSIONS = (".txt", ".md", ".docx")
MAX_TEXT = 300_000  # characters: the seed's fifteen reports are 19,000
MAX_DOCUMENT_XML = 10 << 20  # bytes of word/document.xml; a 100-page briefing is 1–3 MB


def read_text(data: bytes, name: str) -> str:
    """A summary's text from .txt/.md bytes (a BOM decides, else UTF-8, else GB18030) or .docx bytes.

    Raises ``FileRefused`` (message in Chinese) for what is not a summary: too large, a zip bomb, binary
    bytes, text in no Chinese encoding, more than ``MAX_TEXT`` characters.
    """
    check_size(len(data))
    if name.lower().endswith(".docx"):
        text = _docx_text(data)
    else:
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRefused("bad-encoding", "这不是文本文件(含二进制内容),请上传 txt、md 或 docx 格式的活动总结")
        text = decode_text(data, name=name)
    if len(text) > MAX_TEXT:
        raise FileRefused(
            "file-too-large",
            f"总结过长(约 {len(text) // 10000} 万字,上限 {MAX_TEXT // 10000} 万字),请按单位拆分成几个文件后上传",
        )
    return text


def _docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order. A label-and-value row reads as one line
    (发放宣传资料;3000份); a row of several values (years, units side by side) is kept between tabs, which
    the extractor reads only when the row holds a single number."""
    import zipfile

    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise FileRefused(
            "corrupt-file", "无法读取这个 Word 文件(文件已损坏或不是 docx),请在 Word 中另存为 docx 后重试"
        ) from exc
    check_inflation(infos)
    body = next((i for i in infos if i.filename == "word/document.xml"), None)
    if body is None or body.file_size > MAX_DOCUMENT_XML:
        raise FileRefused(
            "corrupt-file" if body is None else "file-too-large",
            "这不是 Word 文档(缺少正文)" if body is None else "Word 文档正文过大,请按单位拆分后上传",
        )
    document = Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, document).text)
        elif block.tag.endswith("}tbl"):
            for row in Table(block, document).rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell comes back once per grid column it spans
                        continue
                    seen.add(id(cell._tc))
                    text = " ".join(cell.text.split())
                    if text:
                        cells.append(text)
                lines.append(";".join(cells) if len(cells) <= 2 else "\t".join(cells))
    return "\n".join(lines)


def load_summary(data: bytes, name: str) -> str:
    """A summary file's text; ``FileRefused`` (Chinese) for another file type or one that cannot be read."""
    if not name.lower().endswith(SUMMARY_EXTENSIONS):
        raise FileRefused(
            "not-a-spreadsheet", f"不支持的文件类型:只能读取 {' '.join(SUMMARY_EXTENSIONS)} 格式的活动总结"
        )
    try:
        return read_text(data, name)
    except FileRefused:
        raise
    except Exception as exc:  # a broken .docx says so, never a traceback
        raise FileRefused("corrupt-file", f"无法读取文件({type(exc).__name__}):请确认是完好的 Word 或文本文件") from exc


def refused(name: str, error: str) -> dict:
    """A file that gives nothing, in ``extract_file``'s shape, with the reason in Chinese."""
    return {
        "file": name,
        "ok": False,
        "error": error,
        "records": [],
        "issues": [],
        "stats": Stats().to_dict(),
        "layouts": {},
        "reports": [],
    }
