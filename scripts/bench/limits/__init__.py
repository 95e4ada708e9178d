"""The limits the benchmarks hold tracker against: the least work each path could do on this machine.

- `board`: one SQL statement over a "latest revision per report" table (built once, outside the timing).
- `publish`: a bare render-and-write loop over prebuilt documents.
- `submit_app`: a minimal Flask app: signed cookie, one session lookup, one INSERT, a redirect.
"""
