"""The publishing core: every editorial and publishing action, written once (no Prefect, paho or FastAPI).

machine.py   the state table (states × actions × roles) and the embargo rule
actions.py   the use cases an editor or approver takes: edit, schedule, approve, reject, withdraw, expire
dispatch.py  delivering a version to the channels in stage order; redelivery
scheduler.py the interface to whatever starts and schedules dispatch runs (Prefect at the edge)

The CLI (loa/app/cli.py), the desk (loa/app/desk/actions.py) and the flows (flows/dispatch.py) only
translate their input into these calls and present the result.
"""
