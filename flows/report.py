"""The monthly report flow: figures for the province's information plan as files and Prefect artifacts.

On the 1st of each month (flows/serve.py) it reports the month before; `loa report` runs the
same code without Prefect. Files go to LOA_HOME/reports/<YYYY-MM>/.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from loa.report import monthly_report, previous_month, table_rows, to_markdown, write_report
from loa.runtime import runtime


def _run_name() -> str:
    month = flow_run.parameters.get("month") or previous_month(runtime()[0])
    return f"report {month}"


@flow(name="report", flow_run_name=_run_name)
def report(month: str | None = None) -> dict:
    """Monthly figures (default: last month, local time): notices per channel, area, reform content area and
    priority; radio minutes; boards reached and acknowledged; ingest → approval → publication times."""
    cfg, store = runtime()
    month = month or previous_month(cfg)
    result = monthly_report(store, cfg, month)
    paths = write_report(result, cfg.layout.reports / month)
    # the artifact shows the chart's path: Prefect's markdown renders no local images
    create_markdown_artifact(
        key="monthly-report",
        markdown=to_markdown(result) + f"\n\nTệp: {paths['csv']}, {paths['markdown']}, {paths['png']}\n",
        description=f"Báo cáo tháng {month}",
    )
    create_table_artifact(
        key="monthly-report-figures",
        table=table_rows(result),
        description=f"Số liệu tháng {month} (các dòng của tệp CSV)",
    )
    get_run_logger().info(
        "report %s: %d notices published; files in %s", month, result.notices_published, paths["csv"].parent
    )
    return {"month": month, "files": {k: str(p) for k, p in paths.items()}, "figures": result.as_dict()}
