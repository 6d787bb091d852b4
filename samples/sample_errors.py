"""Shared by the SDK samples: an error answer ends the sample with the gateway's message and what the sample
needs (exit status 1), not a traceback. Python puts the sample's own folder on the path, so `import` finds this."""
import sys


def explain_errors(needs):
    def explain(kind, error, traceback):
        # Whichever client the sample uses: the OpenAI SDK's errors, or the `ollama` client's.
        openai, ollama = sys.modules.get("openai"), sys.modules.get("ollama")
        if openai is not None and isinstance(error, openai.APIError):
            message = error.message
        elif ollama is not None and isinstance(error, ollama.ResponseError):
            message = error.error
        else:
            return sys.__excepthook__(kind, error, traceback)
        print(f"error: {message}\nthis sample needs: {needs}", file=sys.stderr)
    sys.excepthook = explain
