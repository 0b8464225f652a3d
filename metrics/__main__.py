"""Entry point for ``python -m metrics``; a crash never reaches the user as a traceback."""

import sys

from metrics.cli import main


def _run() -> int:
    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one Chinese line, not a traceback
        print(f"内部错误:{type(exc).__name__}: {exc}。请把文件发给维护人员。", file=sys.stderr)
        return 1


sys.exit(_run())
