#!/usr/bin/env python3
"""bench/profile/summary.py OUT TOP CMD COMMIT BUILT LOADAVG NGINX_ON DEMANGLE — the summary of a bench/profile/run
output folder (markdown on stdout): Ir per request for each proxy and the top functions by inclusive and self cost."""
import os, re, subprocess, sys
out, top, cmd, commit, built, load, ng_on = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] != "0"
demangle = sys.argv[8]

def self_costs(path):
    """self Ir per function from a callgrind file (name compression on): cost lines under fn=, except the line after
    calls= (that one is the inclusive cost of the call)"""
    names, objs, cost, cur, ob, skip = {}, {}, {}, None, "", False
    def ref(v, table):
        m = re.match(r"\((\d+)\)(?: (.*))?$", v)
        if not m:
            return v
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table.get(m.group(1), v)
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        c = line[0]
        if c.isdigit() or c in "+-*":
            if skip:
                skip = False
            elif cur is not None:
                parts = line.split()
                if len(parts) > 1:
                    cost[cur] = cost.get(cur, 0) + int(parts[1])
            continue
        k, _, v = line.partition("=")
        if k == "fn":
            cur = (ref(v, names), ob)
        elif k == "ob":
            ob = ref(v, objs)
        elif k in ("cob",):
            ref(v, objs)
        elif k == "cfn":
            ref(v, names)
        elif k == "calls":
            skip = True
    rows = sorted(((ir, f"{fn} [{o}]") for (fn, o), ir in cost.items()), reverse=True)
    return rows

def demangled(names):
    if demangle == "cat" or not names:
        return names
    r = subprocess.run([demangle, "--simplified"], input="\n".join(names) + "\n", capture_output=True, text=True)
    got = r.stdout.rstrip("\n").split("\n")
    return got if r.returncode == 0 and len(got) == len(names) else names

def totals(path):
    for line in open(path, errors="replace"):
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    return None

def table(path, n):
    """(Ir, percent, function) rows of a callgrind_annotate listing, in its order"""
    rows, on = [], False
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if re.match(r"^-+$", line.strip()) and rows:
            break
        m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            ir, p, fn = int(m.group(1).replace(",", "")), float(m.group(2)), m.group(3)
            if p > 100.0:
                # recursion through async frames (swift_task_switch'2 ...): callgrind's inclusive cost of a cycle
                # member counts the same instructions several times; such rows say nothing, leave them out
                continue
            fn = re.sub(r"^\?\?\?:|^[^ ]*?:(?=[^/])", "", fn, count=1) if not fn.startswith("???:") else fn[4:]
            rows.append((ir, p, fn))
            if len(rows) >= n:
                break
    return rows

def short(fn, width=150):
    fn = re.sub(r"\[(/[^\]]*/)([^/\]]+)\]$", r"[\2]", fn)   # the object's file name, not its path
    fn = fn.replace("|", "\\|")
    return fn if len(fn) <= width else fn[: width - 1] + "…"

legs = ["chorus"] + (["nginx"] if ng_on and os.path.exists(os.path.join(out, "nginx.dump")) else [])
ir = {}
for leg in legs:
    total = totals(os.path.join(out, f"{leg}.dump"))
    req = int(open(os.path.join(out, f"{leg}.requests")).read())
    ir[leg] = (total, req, total / req if total and req else None)
print("# callgrind profile: instructions per proxied chat request\n")
print("```\n" + cmd + "\n```\n")
print(f"commit `{commit}`, chorus binary built {built}; load average at the end {load}; output `{out}`.\n")
print("| proxy | instructions (Ir) over the measured requests | requests | **Ir per request** |\n|---|---|---|---|")
for leg in legs:
    t, r, per = ir[leg]
    print(f"| {'Chorus' if leg == 'chorus' else 'nginx'} | {t:,} | {r:,} | **{per:,.0f}** |")
if "nginx" in ir and ir["nginx"][2]:
    print(f"\nChorus ÷ nginx: **{ir['chorus'][2] / ir['nginx'][2]:.1f}×** instructions per request.")
print("\nInclusive tables leave out recursion-cycle members (callgrind marks them 'N; their inclusive cost counts "
      "the same instructions several times, > 100 %). "
      "Counted in the proxy process only (all its threads; the mock upstream and the client run outside valgrind), "
      "after the warm-up (callgrind_control --zero), up to callgrind_control --dump after the last answer.\n")
for leg in legs:
    name = "Chorus" if leg == "chorus" else "nginx"
    nreq = ir[leg][1]  # measured requests
    total = ir[leg][0]
    selfs = self_costs(os.path.join(out, f"{leg}.dump"))
    snames = demangled([fn for _, fn in selfs])
    with open(os.path.join(out, f"{leg}.self.txt"), "w") as f:
        for (irv, _), fn in zip(selfs, snames):
            f.write(f"{irv:>14,} ({irv / total * 100:5.2f}%)  {fn}\n")
    byobj = {}
    for (irv, fn) in selfs:
        m = re.search(r"\[([^\]]*)\]$", fn)
        o = os.path.basename(m.group(1)) if m else "?"
        byobj[o] = byobj.get(o, 0) + irv
    print(f"## {name}: self cost by binary / library\n")
    print("| Ir per request | % of total | object |\n|---|---|---|")
    for o, irv in sorted(byobj.items(), key=lambda x: -x[1])[:12]:
        print(f"| {irv / nreq:,.0f} | {irv / total * 100:.1f} % | `{o}` |")
    print()
    for kind, title in (("inclusive", "inclusive cost (the function and everything it calls)"), ("self", "self cost")):
        if kind == "self":
            rows = [(irv, irv / total * 100, fn) for (irv, _), fn in zip(selfs[:top], snames[:top])]
        else:
            rows = table(os.path.join(out, f"{leg}.{kind}.txt"), top)
        print(f"## {name}: top {len(rows)} functions by {title}\n")
        print("| Ir per request | % of total | function |\n|---|---|---|")
        for irv, p, fn in rows:
            print(f"| {irv / nreq:,.0f} | {p:.1f} % | `{short(fn)}` |")
        print()
