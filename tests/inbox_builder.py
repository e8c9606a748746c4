"""Hand-made synthetic inbox files for ingestion tests (every ID is computed, none is real)."""

from __future__ import annotations

from pathlib import Path

from zero_dropout import thai_id
from zero_dropout.inbox import InboxFile

REGISTRY_HEADER = "pid,title,fname,lname,sex,dob,nat,hid,hno,ccaattmm,pop_st,datemi"
MOE_HEADER = "cid|title|fname|lname|sex|birthdate|school_id|school_name|affiliation|school_province|class|status"


def make_pid(seq: int, category: int = 1, office: str = "5501") -> str:
    first12 = f"{category}{office}{seq:07d}"
    return first12 + str(thai_id.check_digit(first12))


def registry_row(seq: int, *, pid: str | None = None, fname: str = "สมชาย", lname: str = "ใจดี", dob: str = "25600315",
                 address: str = "55010101", status: str = "0") -> str:
    pid = make_pid(seq) if pid is None else pid
    return f"{pid},ด.ช.,{fname},{lname},1,{dob},099,55010000011,{seq}/1,{address},{status},{dob}"


def moe_row(seq: int, *, cid: str | None = None, fname: str = "สมชาย", birth: str = "15/03/2560",
            status: str = "studying") -> str:
    cid = make_pid(seq) if cid is None else cid
    return f"{cid}|ด.ช.|{fname}|ใจดี|1|{birth}|1055010001|โรงเรียนทดสอบ|10|55|ป.1|{status}"


def drop(inbox: Path, rel: str, data: bytes | str, encoding: str = "utf-8") -> InboxFile:
    path = inbox / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    parts = rel.split("/")
    source = parts[0]
    province = parts[1] if source in ("registry", "survey") else None
    term = parts[1] if source == "moe" else (parts[2] if source == "survey" else None)
    return InboxFile(source, path, rel, province, term)


def csv_text(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"
