"""Rerank documents for a query through Chorus (Cohere/Jina shape, as vLLM, Infinity and LocalAI serve it), then
tokenize and detokenize with a model's own tokenizer. Plain `requests`: the OpenAI SDK has no rerank call.

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_RERANK_MODEL=bge-reranker \
        CHORUS_TOKENIZE_MODEL=llama-3.1-8b python3 samples/rerank.py
"""
import os
import sys

import requests

url = os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1")
root = url.removesuffix("/v1")
headers = {"Authorization": f"Bearer {os.environ['CHORUS_KEY']}"}
model = os.environ.get("CHORUS_RERANK_MODEL", "bge-reranker")
NEEDS = ("a rerank model (CHORUS_RERANK_MODEL, default bge-reranker) on a provider that serves /v1/rerank (vLLM, "
         "Infinity, LocalAI), declared with capabilities: [rerank]")


def checked(answer, needs):
    if answer.status_code >= 400:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text[:300]
        sys.exit(f"error: HTTP {answer.status_code}: {message}\nthis sample needs: {needs}")
    return answer.json()


documents = [
    "Paris is the capital and largest city of France.",
    "The Eiffel Tower was finished in 1889.",
    "Berlin is the capital of Germany.",
]
ranked = checked(requests.post(f"{url}/rerank", headers=headers, timeout=60, json={
    "model": model, "query": "What is the capital of France?", "documents": documents,
    "top_n": 2, "return_documents": True}), NEEDS)
for result in ranked["results"]:
    print(f"{result['relevance_score']:.3f}  {documents[result['index']]}")

tokenizer = os.environ.get("CHORUS_TOKENIZE_MODEL")
if tokenizer:
    needs = f"a model '{tokenizer}' with capabilities: [tokenize] on a vLLM or llama.cpp server"
    tokens = checked(requests.post(f"{root}/lollms/v1/tokenize", headers=headers, timeout=60,
                                   json={"model": tokenizer, "text": "Hello, Chorus!"}), needs)
    print("tokens:", tokens["tokens"], "count:", tokens["count"])
    text = checked(requests.post(f"{root}/lollms/v1/detokenize", headers=headers, timeout=60,
                                 json={"model": tokenizer, "tokens": tokens["tokens"]}), needs)
    print("text:", text["text"])
