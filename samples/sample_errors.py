"""Shared by the SDK samples: an error answer ends the sample with the gateway's message and what the sample
needs (exit status 1), not a traceback. Python puts the sample's own folder on the path, so `import` finds this."""
import sys

import openai


def explain_errors(needs):
    def explain(kind, error, traceback):
        if isinstance(error, openai.APIError):
            print(f"error: {error.message}\nthis sample needs: {needs}", file=sys.stderr)
            return
        sys.__excepthook__(kind, error, traceback)
    sys.excepthook = explain
