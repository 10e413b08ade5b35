"""The money policy as a markdown table, kept inside docs/security.md between two markers."""

from accounts.policy import ROLES, policy_matrix_rows

SECURITY_DOC = "docs/security.md"
BEGIN = "<!-- policy-matrix:begin (manage.py policy_matrix --write) -->"
END = "<!-- policy-matrix:end -->"


def policy_matrix_markdown() -> str:
    header = ["action", *ROLES, "note"]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for row in policy_matrix_rows():
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    return "\n".join(lines)


def security_doc_with_matrix(text: str) -> str:
    """`text` with the part between the markers replaced by the current matrix."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + policy_matrix_markdown() + "\n" + text[end:]
