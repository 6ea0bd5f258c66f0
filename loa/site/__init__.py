"""The public website and printed bulletin as pure functions (no Prefect, no channels, no store).

Pelican style: the caller builds the whole context first (site.model: one Entry per public notice,
NoticePage for each page to write), `build` turns it into a {relative path: content} plan, and one
writer (`build.write_files`) writes every file atomically. channels/website.py and channels/printed.py
gather the context from the store and the disk; the golden tests build it by hand.
"""
