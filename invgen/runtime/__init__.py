"""The process a run lives in: the device (``--device``), numeric precision (``--precision``), the fast-path and
memory policy, Ctrl-C and SIGTERM, and how errors reach the terminal. It imports only :mod:`invgen.errors`."""
