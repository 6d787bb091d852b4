#!/usr/bin/env python3
# Times the SQL of SQLiteStore+Reports.swift on a generated generation_logs table (schema from the migrations).
import os, re, sqlite3, random, tempfile, time, sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../Sources/ChorusGateway/Store/SQLite/SQLiteStore+Migrations.swift')).read()
blocks = re.findall(r'"""\n(.*?)"""', src, re.S)
path = os.path.join(tempfile.mkdtemp(), 'usage.sqlite'); db = sqlite3.connect(path); db.execute('PRAGMA journal_mode=WAL')
for b in blocks[:3]: db.executescript(b)
for s in re.findall(r'execute\(sql: "(ALTER[^"]*)"\)', src): db.execute(s)
db.executescript(blocks[3])
random.seed(1); t0 = 1.7e9; span = 365 * 86400
rows = [(t0 + i * span / n, 'req', random.choice([None, 1, 2, 3, 4]), random.choice(['gpt-a', 'gpt-b', 'tts-1', 'whisper']),
         random.choice(['/v1/chat/completions', '/v1/audio/speech']), random.choice([200] * 8 + [429, 500]), 0, 120.0,
         random.randint(1, 500), random.randint(1, 500), random.random()) for i in range(n)]
db.executemany('insert into generation_logs(created_at,request_id,key_id,model,route,status,stream,latency_ms,prompt_tokens,completion_tokens,cost) values(?,?,?,?,?,?,?,?,?,?,?)', rows)
db.commit()
end = t0 + span; since = end - 30 * 86400
def timed(label, sql, args=()):
    s = time.perf_counter(); r = db.execute(sql, args).fetchall(); print(f'{label}: {1000*(time.perf_counter()-s):.1f} ms ({len(r)} rows)')
for g, expr in [('model', 'l.model'), ('day', "strftime('%Y-%m-%d', l.created_at, 'unixepoch')"), ('key', 'l.key_id')]:
    join = 'LEFT JOIN api_keys k ON k.id = l.key_id' if g == 'key' else ''
    timed(f'usage group_by={g}, 30 days of {n} rows/year', f"""SELECT {expr} AS grp, COUNT(*), COALESCE(SUM(l.prompt_tokens),0), COALESCE(SUM(l.completion_tokens),0),
        COALESCE(SUM(l.total_tokens),0), COALESCE(SUM(l.characters),0), TOTAL(l.audio_seconds), COALESCE(SUM(l.images),0), TOTAL(l.cost),
        COALESCE(SUM(l.status >= 400),0) FROM generation_logs l {join} WHERE l.created_at >= ? AND l.created_at < ? GROUP BY grp ORDER BY grp""", (since, end))
timed('logs page, 30-day window, limit 101', 'SELECT l.* FROM generation_logs l WHERE l.created_at >= ? AND l.created_at < ? ORDER BY l.id DESC LIMIT 101', (since, end))
timed('logs page, model + 5xx, limit 101', 'SELECT l.* FROM generation_logs l WHERE l.model = ? AND l.status >= 500 AND l.status < 600 ORDER BY l.id DESC LIMIT 101', ('tts-1',))
cut = t0 + 180 * 86400; worst = 0; batches = 0; s0 = time.perf_counter()
while True:
    s = time.perf_counter()
    c = db.execute('DELETE FROM generation_logs WHERE id IN (SELECT id FROM generation_logs WHERE created_at < ? ORDER BY created_at LIMIT 2000)', (cut,)).rowcount
    db.commit(); worst = max(worst, time.perf_counter() - s); batches += 1
    if c < 2000: break
print(f'retention: {batches} batches of <=2000 rows, {1000*(time.perf_counter()-s0):.0f} ms total, longest transaction {1000*worst:.1f} ms')
db.close()
import shutil; shutil.rmtree(os.path.dirname(path))
