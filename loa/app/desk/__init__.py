"""The editorial desk: editors review, edit, schedule and approve every notice (served at /desk/ by `loa run`).

app.py       the FastAPI sub-application, security headers, error pages; mount_desk()
auth.py      session cookie, CSRF, roles (editor ⊂ approver ⊂ admin)
accounts.py  log in/out, own password, accounts (admin)
pages.py     the queue, the notice page, previews
actions.py   the forms: each calls the use case of loa/publishing that `loa edit/approve/…` calls
media.py     preview read-aloud and human recordings
present.py   Vietnamese labels, local time, the board preview, diffs

The package imports nothing itself: `loa show` uses present.py and must not pay for FastAPI (~0.3 s);
the web server imports create_desk/mount_desk from loa.app.desk.app.
"""
