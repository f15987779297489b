"""components/plan/report.py: the diff and review as text and as Markdown for a CI job summary."""

from __future__ import annotations

from components.plan.diff import Change
from components.plan.report import render_markdown, render_text, summary
from components.plan.review import Finding

CHANGES = [
    Change("urn:a", "kubernetes:core/v1:ConfigMap", "app-config", "update", ("data.LOG_LEVEL",), "updates in place"),
    Change("urn:b", "aws:s3/bucket:Bucket", "logs", "update", ("bucket",), "no rule | for it", verified=False),
    Change("urn:c", "aws:kms/key:Key", "key", "delete", (), "no longer in the program"),
]
FINDINGS = [Finding("data-loss", "high", "urn:c", "delete of key: secrets are lost")]


def test_summary_counts_operations_and_what_stays() -> None:
    # 10 resources in the head: 2 of them change, the deleted one is not among them.
    assert summary(CHANGES, 10) == "2 to update, 1 to delete, 8 unchanged"


def test_text_shows_symbol_operation_paths_and_reason_and_marks_unverified_updates() -> None:
    text = render_text("dev", "main", CHANGES, FINDINGS, 10)
    assert "  ~  update (not verified)  aws:s3/bucket:Bucket  logs\n       paths: bucket\n" in text
    assert "  -  delete                kubernetes" not in text
    assert "\nReview (1):\n  [high] data-loss: delete of key: secrets are lost" in text


def test_markdown_escapes_table_cells_and_lists_the_review() -> None:
    markdown = render_markdown("dev", "main", CHANGES, FINDINGS, 10)
    assert "| `~` update (not verified) | `aws:s3/bucket:Bucket` | logs | `bucket` | no rule \\| for it |" in markdown
    assert "- **high** data-loss: delete of key: secrets are lost" in markdown
    assert render_markdown("dev", "main", [], [], 3).count("No changes.") == 1
