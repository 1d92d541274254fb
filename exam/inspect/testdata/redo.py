#!/usr/bin/env python3
"""An independent re-run of onex-inspect/1 draws, written from FORMAT.md alone
(standard library only). For every draw in vectors.json it recomputes the
registers' hash, the commitment's hash, the key, the seed and the draw, and
rebuilds the transcript byte for byte. Usage: redo.py [vectors.json]"""
import hashlib, json, sys


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def normal_registers(r):
    sites = sorted(({"code": s["code"], "name": s["name"], "orgs": sorted(set(s.get("orgs") or []))} for s in r["sites"]), key=lambda s: s["code"].encode())
    ins = sorted(({"id": i["id"], "name": i["name"], "orgs": sorted(set(i.get("orgs") or [])), "sites": sorted(set(i.get("sites") or []))} for i in r["inspectors"]), key=lambda i: i["id"].encode())
    return {"inspectors": ins, "sites": sites}


SEPARATORS = ",，、;；"


def halfwidth(ch):
    return chr(ord(ch) - 0xFF01 + 0x21) if 0xFF01 <= ord(ch) <= 0xFF5E else ch


def normal_value(src, typed):
    if src["kind"] == "numbers":
        toks = "".join(" " if (c.isspace() or c in SEPARATORS) else halfwidth(c) for c in typed).split()
        nums = sorted(int(t, 10) for t in toks)
        assert len(nums) == src["count"] and all(t.isdigit() and t.isascii() for t in toks)
        return " ".join(str(n) for n in nums), "".join(f"{n}." for n in nums) + "/"
    text = "".join(c for c in (halfwidth(c).upper() for c in typed) if c.isascii() and c.isalnum())
    return text, text + "./"


class Stream:
    def __init__(self, seed):
        self.seed, self.block, self.words = seed, 0, []

    def word(self):
        if not self.words:
            b = hashlib.sha256(self.seed + self.block.to_bytes(8, "big")).digest()
            self.words = [int.from_bytes(b[i:i + 8], "big") for i in range(0, 32, 8)]
            self.block += 1
        return self.words.pop(0)

    def uniform(self, n):
        if n == 1:
            return 0
        r = (1 << 64) % n
        while True:
            w = self.word()
            if w < (1 << 64) - r:
                return w % n


def conflicted(ins, site):
    return site["code"] in ins["sites"] or bool(set(ins["orgs"]) & set(site["orgs"]))


def draw(reg, plan, seed):
    st, S, I = Stream(seed), reg["sites"], reg["inspectors"]
    N, k = len(S), plan["inspectors_per_site"]
    n = max(-(-N * plan["share_percent"] // 100), plan["min_sites"])
    P = list(range(N))
    for i in range(n):
        j = i + st.uniform(N - i)
        P[i], P[j] = P[j], P[i]
    load = [0] * len(I)
    out = []
    for d in range(n):
        site = S[P[d]]
        free = [i for i in range(len(I)) if not conflicted(I[i], site)]
        taken = []
        while len(taken) < k:
            L = min(load[i] for i in free if i not in taken)
            B = [i for i in free if load[i] == L and i not in taken]
            need = k - len(taken)
            if len(B) > need:
                for b in range(need):
                    c = b + st.uniform(len(B) - b)
                    B[b], B[c] = B[c], B[b]
                B = B[:need]
            taken += B
        for i in taken:
            load[i] += 1
        out.append({"inspectors": [I[i]["id"] for i in taken], "site": site["code"]})
    return out


def redo(v):
    reg = normal_registers(v["registers"])
    rh = hashlib.sha256(canon(reg)).hexdigest()
    c = {"committed_at": v["committed_at"], "plan": v["plan"], "registers_sha256": rh, "sources": v["sources"], "version": "onex-inspect/1"}
    ch = hashlib.sha256(canon(c)).digest()
    parts = [normal_value(s, t) for s, t in zip(v["sources"], v["typed"])]
    key = "".join(p[1] for p in parts)
    seed = hashlib.sha256(ch + key.encode("ascii")).digest()
    t = {"commitment": c, "commitment_sha256": ch.hex(), "draw": draw(reg, v["plan"], seed), "key": key, "seed": seed.hex(), "values": [p[0] for p in parts]}
    return canon(t).decode()


if __name__ == "__main__":
    vectors = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "vectors.json", encoding="utf-8"))
    bad = 0
    for v in vectors["draws"]:
        ok = redo(v) == v["transcript"]
        bad += not ok
        print("same" if ok else "DIFFERENT", v["name"])
    sys.exit(1 if bad else 0)
