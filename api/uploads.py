"""Reading uploaded files, and turning a release file into the same submission as
pasted text."""

from __future__ import annotations

from pathlib import PurePath

from fastapi import UploadFile
from pydantic import ValidationError

from campaign.errors import InvalidInput
from campaign.releases.models import ReleaseFormat
from campaign.releases.schemas import ReleaseSubmission

MAX_UPLOAD_BYTES = 1024 * 1024
# A country's officials or postcode table, imported whole into the target directory.
MAX_IMPORT_BYTES = 50 * 1024 * 1024
_FORMATS = {
    ".html": ReleaseFormat.HTML,
    ".htm": ReleaseFormat.HTML,
    ".md": ReleaseFormat.MARKDOWN,
    ".markdown": ReleaseFormat.MARKDOWN,
    ".txt": ReleaseFormat.TEXT,
    "": ReleaseFormat.TEXT,
}


async def read_upload(file: UploadFile, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(f"the file must be at most {max_bytes} bytes", field="file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("the file must be UTF-8 text", field="file") from error


def release_submission_from_form(
    *, content: str, filename: str, **fields: str | None
) -> ReleaseSubmission:
    suffix = PurePath(filename).suffix.lower()
    if suffix not in _FORMATS:
        raise InvalidInput("the file must be .txt, .md or .html", field="file")
    given = {name: value for name, value in fields.items() if value not in (None, "")}
    try:
        return ReleaseSubmission(content=content, format=_FORMATS[suffix], **given)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "file"
        raise InvalidInput(str(first["msg"]).removeprefix("Value error, "), field=field) from error
