"""The platform surfaces with a plain HTTP client (requests): the public catalog, rerank,
the tokenizers, and 501 for a model without the capability."""
import os
import subprocess
import sys

import requests

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def root(env):
    return env.base_url[: -len("/v1")]


def test_catalog_answers_without_a_key_and_names_no_provider(env):
    answer = requests.get(root(env) + "/api/models", params={"per_page": 100})
    assert answer.status_code == 200
    body = answer.json()
    names = [m["name"] for m in body["data"]]
    assert "reranker" in names and "tts-1" in names and body["meta"]["total"] == len(names)
    assert "sk-upstream" not in answer.text and "127.0.0.1" not in answer.text and "upstream-rerank" not in answer.text
    one = requests.get(root(env) + "/api/models/bge-rerank").json()
    assert one["type"] == "rerank" and one["category"] == "Search" and one["capabilities"] == ["rerank"]
    assert requests.get(root(env) + "/api/models", params={"q": "search results"}).json()["data"][0]["name"] == "reranker"
    assert requests.get(root(env) + "/api/models/nope").status_code == 404
    categories = {c["name"]: c["count"] for c in requests.get(root(env) + "/api/categories").json()["data"]}
    assert categories["Search"] == 1


def test_rerank_orders_documents_by_relevance(env, rows):
    answer = requests.post(env.base_url + "/rerank", headers={"Authorization": f"Bearer {env.key}"}, json={
        "model": "reranker", "query": "capital of France", "top_n": 2, "return_documents": True,
        "documents": ["Berlin is in Germany.", "Paris is the capital of France.", "Lyon is in France."]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == [1, 2]
    assert results[0]["document"]["text"] == "Paris is the capital of France."
    row = rows(1)[-1]
    assert row["route"] == "/rerank" and row["model"] == "reranker" and row["status"] == 200


def test_tokenize_and_detokenize_round_trip(env):
    headers = {"Authorization": f"Bearer {env.key}"}
    tokens = requests.post(root(env) + "/lollms/v1/tokenize", headers=headers, json={"model": "tokenizing-chat", "text": "hello"})
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["count"] == 5
    text = requests.post(root(env) + "/lollms/v1/detokenize", headers=headers,
                      json={"model": "tokenizing-chat", "tokens": tokens.json()["tokens"]})
    assert text.json() == {"text": "hello"}
    bad = requests.post(root(env) + "/lollms/v1/detokenize", headers=headers, json={"model": "tokenizing-chat", "tokens": ["a"]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tokens[0]"


def test_a_model_without_the_capability_is_501(env):
    answer = requests.post(env.base_url + "/rerank", headers={"Authorization": f"Bearer {env.key}"},
                        json={"model": "tts-1", "query": "q", "documents": ["a"]})
    assert answer.status_code == 501
    assert answer.json()["error"]["code"] == "capability_not_supported"


def test_catalog_sample_works_on_any_chorus(env, tmp_path):
    done = subprocess.run(["bash", os.path.join(SAMPLES, "catalog.sh")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, CHORUS_URL=env.base_url))
    assert done.returncode == 0, done.stderr
    assert '"meta"' in done.stdout and '{"name":"Search","count":1}' in done.stdout


def test_rerank_sample_ranks_and_round_trips_tokens(env, tmp_path):
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.key, CHORUS_RERANK_MODEL="reranker",
                   CHORUS_TOKENIZE_MODEL="tokenizing-chat")
    done = subprocess.run([sys.executable, os.path.join(SAMPLES, "rerank.py")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=environ)
    assert done.returncode == 0, done.stderr
    assert "Paris is the capital" in done.stdout.splitlines()[0]
    assert "text: Hello, Chorus!" in done.stdout
    missing = subprocess.run([sys.executable, os.path.join(SAMPLES, "rerank.py")], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, env=dict(environ, CHORUS_RERANK_MODEL="no-such-model"))
    assert missing.returncode != 0 and "this sample needs:" in missing.stderr and "Traceback" not in missing.stderr


def test_rag_sample_finds_the_answer_and_a_pdf_becomes_searchable(env, tmp_path):
    """samples/rag.py end to end: a datastore on the embeddings model, three documents and a PDF, a query whose
    answer is first, and the datastore deleted again."""
    text = "Ardwick Pelling keeps the lighthouse of Port Quillan."
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    pdf, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    (tmp_path / "keeper.pdf").write_text(pdf)
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.key, CHORUS_EMBEDDINGS_MODEL="text-embedding-3-small",
                   CHORUS_RAG_FILE=str(tmp_path / "keeper.pdf"))
    done = subprocess.run([sys.executable, os.path.join(SAMPLES, "rag.py")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=environ)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "added file 'keeper.pdf' in 1 chunk(s)" in lines
    hits = [line for line in lines if "%  [" in line]
    assert "lighthouse" in hits[0] and "Ardwick Pelling" in hits[0], done.stdout
    listed = requests.get(root(env) + "/lollms/v1/rag/databases", headers={"Authorization": f"Bearer {env.key}"}).json()
    assert listed == {"object": "list", "data": []}, "the sample deletes its datastore"
    missing = subprocess.run([sys.executable, os.path.join(SAMPLES, "rag.py")], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60, env=dict(environ, CHORUS_EMBEDDINGS_MODEL="no-such-model"))
    assert missing.returncode != 0 and "this sample needs:" in missing.stderr and "Traceback" not in missing.stderr
