"""checklib.py: small pieces shared by the book checks (check-*.py)."""
import json


def load_index(path):
    """The book-wide index written by book/tools/index.py (build/chunks.json)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def line_of(path, needle):
    """1-based number of the first line of PATH containing NEEDLE; 0 when the
    file cannot be read or has no such line (the report then says line 0)."""
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if needle in line:
                    return n
    except OSError:
        pass
    return 0
