#!/usr/bin/env python3
"""Checks that a proxy's chat answer is a valid chat completion carrying the upstream's message, for a proxy that
re-serialises the answer (LiteLLM: its own field order, extra fields), so that bytes cannot be compared.

    check_chat.py DIRECT_JSON PROXY_JSON HTTP_STATUS MODEL

Prints nothing when the answer is fine, else one line saying what is wrong (bench/run puts it in the report).
"""
import json
import sys


def problem(direct_path, proxy_path, status, model):
    direct = json.load(open(direct_path))
    try:
        r = json.load(open(proxy_path))
    except Exception as e:  # noqa: BLE001 - any parse failure is the answer
        return f"status {status}, not JSON ({e})"
    if status != "200":
        return f"status {status}: {json.dumps(r)[:200]}"
    if not isinstance(r, dict):
        return f"not a JSON object: {json.dumps(r)[:200]}"
    if r.get("object") != "chat.completion":
        return f"object is {r.get('object')!r}, not 'chat.completion'"
    if not isinstance(r.get("id"), str) or not r["id"]:
        return "no id"
    choices = r.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], dict):
        return f"choices is {json.dumps(choices)[:200]}, not one choice"
    c, want = choices[0], direct["choices"][0]
    msg = c.get("message") if isinstance(c.get("message"), dict) else {}
    if msg.get("role") != "assistant" or msg.get("content") != want["message"]["content"]:
        return f"message is {json.dumps(c.get('message'))[:200]}, not the upstream's {want['message']['content']!r}"
    if c.get("finish_reason") != want["finish_reason"] or c.get("index") != 0:
        return f"finish_reason / index are {c.get('finish_reason')!r} / {c.get('index')!r}, not the upstream's"
    usage = r.get("usage") if isinstance(r.get("usage"), dict) else {}
    for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if usage.get(k) != direct["usage"][k]:
            return f"usage.{k} is {usage.get(k)!r}, not the upstream's {direct['usage'][k]}"
    if r.get("model") != model:
        return f"model is {r.get('model')!r}, not {model!r}"
    return None


if __name__ == "__main__":
    why = problem(*sys.argv[1:5])
    if why:
        print(why)
