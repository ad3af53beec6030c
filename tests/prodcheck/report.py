"""PASS/FAIL lines with their figures, and the summary at the end."""

import sys
from dataclasses import dataclass, field


@dataclass
class Report:
    lines: list[tuple[bool, str, str]] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)

    def check(self, ok: bool, what: str, figures: str) -> bool:
        self.lines.append((ok, what, figures))
        sys.stdout.write(f"{'PASS' if ok else 'FAIL'}  {what}: {figures}\n")
        sys.stdout.flush()
        return ok

    def note(self, text: str) -> None:
        sys.stdout.write(f"      {text}\n")
        sys.stdout.flush()

    def figure(self, name: str, value: str) -> None:
        self.figures[name] = value

    @property
    def passed(self) -> bool:
        return bool(self.lines) and all(ok for ok, _, _ in self.lines)

    def summary(self) -> str:
        failed = sum(not ok for ok, _, _ in self.lines)
        rows = [f"  {name:<34} {value}" for name, value in self.figures.items()]
        verdict = (
            f"prod-check PASSED ({len(self.lines)} checks)"
            if self.passed
            else f"prod-check FAILED ({failed} of {len(self.lines)} checks)"
        )
        return "\n".join(["", "Figures:", *rows, "", verdict, ""])
