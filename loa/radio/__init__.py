"""Commune loudspeaker radio, the core (no Prefect, no paho): when stations air (schedule), what a
slot airs (select, a pure function over notices, airing history and slot length), the audio each
language airs (audio: a human recording beats the synthetic voice; loudness: recordings and
jingles brought to the station's target), the playlist files (playlist: M3U8 with #EXTINF and
XSPF), the signed emergency play command (command), and the builder that ties them together
with the airing history in the store (build, loa.store.radio).
"""
