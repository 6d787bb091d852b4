"""A RAG datastore through Chorus's LoLLMs surface: create one with an embeddings model as its vectorizer, add
documents (JSON text, and a file when CHORUS_RAG_FILE names a .txt, .md or .pdf), query it, then delete it.
Plain `requests`: the OpenAI SDK has no datastore calls.

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_EMBEDDINGS_MODEL=text-embedding-3-small \
        [CHORUS_RAG_FILE=notes.pdf] python3 samples/rag.py
"""
import os
import sys

import requests

url = os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1")
rag = url.removesuffix("/v1") + "/lollms/v1/rag"
headers = {"Authorization": f"Bearer {os.environ['CHORUS_KEY']}"}
vectorizer = os.environ.get("CHORUS_EMBEDDINGS_MODEL", "text-embedding-3-small")
NEEDS = (f"an embeddings model '{vectorizer}' (CHORUS_EMBEDDINGS_MODEL) the key may use, on a provider that serves "
         "/v1/embeddings (OpenAI, vLLM, LocalAI, llama.cpp, Infinity); for PDF files, pdftotext (poppler-utils) on the gateway")


def checked(answer):
    if answer.status_code >= 400:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = answer.text[:300]
        sys.exit(f"error: HTTP {answer.status_code}: {message}\nthis sample needs: {NEEDS}")
    return answer.json()


store = checked(requests.post(f"{rag}/databases", headers=headers, timeout=60, json={
    "name": "sample notes", "description": "made by samples/rag.py", "is_public": False, "vectorizer": vectorizer}))
print("datastore", store["id"], "owned by", store["owner_username"])
try:
    added = checked(requests.post(f"{rag}/databases/{store['id']}/documents", headers=headers, timeout=300, json={
        "documents": [
            {"title": "Lighthouse", "text": "The lighthouse keeper of Port Quillan is Ardwick Pelling. He has tended the lamp since 1987."},
            {"title": "Harbour", "text": "Fishing boats of Port Quillan land herring and mackerel before noon."},
            {"title": "Tea", "text": "Green tea is best steeped at about 80 degrees Celsius for two minutes."},
        ]}))
    for document in added["data"]:
        print(f"added document {document['id']} '{document['title']}' in {document['chunks']} chunk(s)")
    path = os.environ.get("CHORUS_RAG_FILE")
    if path:
        with open(path, "rb") as file:
            uploaded = checked(requests.post(f"{rag}/databases/{store['id']}/documents", headers=headers, timeout=300,
                                             files={"file": (os.path.basename(path), file)}))
        print(f"added file '{uploaded['title']}' in {uploaded['chunks']} chunk(s)")

    found = checked(requests.post(f"{rag}/query", headers=headers, timeout=60, json={
        "datastore_id": store["id"], "query": "Who keeps the lighthouse?", "top_k": 3, "min_similarity": 0}))
    for hit in found["data"]:
        print(f"{hit['similarity']:6.2f}%  [{hit['title']} #{hit['chunk_index']}] {hit['text']}")
finally:
    requests.delete(f"{rag}/databases/{store['id']}", headers=headers, timeout=60)
