#!/usr/bin/env bash
# Builds the SentencePiece parity data in tests/data/spm/ from Debian packages only:
#  1. downloads the .debs listed below (apt-get download: no root, no dpkg path-excludes) and
#     extracts their Spanish and Danish gettext catalogs (msgunfmt);
#  2. takes the translated strings (msgstr), one line per sentence, keeps lines with real words,
#     and picks a deterministic sample per language, plus the hand-written supplement.*.txt
#     (emoji, tabs, repeated spaces, numbers, ñ, æøå: the cases catalogs lack);
#  3. trains a small BPE and a small unigram model with spm_train on all extracted lines;
#  4. writes the reference output of spm_encode --output_format=piece and of spm_decode for both
#     models on both corpora.
# The results are committed; tests never run this script. Re-run it after changing the package
# list or the supplement: `bash scripts/make-spm-test-data.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/data/spm
per_language=${PER_LANGUAGE:-2500}
vocab_size=${VOCAB_SIZE:-3000}
packages=(coreutils dpkg apt bash tar grep findutils diffutils gettext binutils-common libc-l10n
          gnupg-l10n libglib2.0-data login make wget git shared-mime-info)

for tool in msgunfmt spm_train spm_encode spm_decode python3 dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install gettext sentencepiece python3" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/root" "$work/po"
chmod 755 "$work" && chmod a+rwx "$work/debs"   # apt's sandbox user writes the downloads
(cd "$work/debs" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

: >"$work/sources.txt"
for lang in es da; do
  find "$work/root" -path "*/locale/$lang/LC_MESSAGES/*.mo" | sort | while read -r mo; do
    name=$(basename "$mo" .mo)
    # Some catalogs are Latin-1; msgconv makes every .po UTF-8. Warnings about \a or \r in
    # messages are the catalogs' business, not ours.
    msgunfmt --no-wrap "$mo" 2>/dev/null | msgconv --no-wrap -t UTF-8 -o "$work/po/$lang.$name.po" 2>/dev/null
    echo "$lang $name" >>"$work/sources.txt"
  done
done

python3 - "$work" "$out" "$per_language" <<'PY'
import ast, glob, hashlib, os, re, sys, unicodedata

work, out, per_language = sys.argv[1], sys.argv[2], int(sys.argv[3])

def msgstrs(path):
    """Translated strings of a .po file written by msgunfmt (no wrapping), minus the header entry."""
    msgid = msgstr = None
    field = None
    def entry():
        if msgid and msgstr:
            yield msgstr
    for line in open(path, encoding="utf-8"):
        if line.startswith("msgid "):
            yield from entry()
            msgid, msgstr, field = ast.literal_eval(line.split(" ", 1)[1]), None, "msgid"
        elif line.startswith("msgid_plural "):
            field = None
        elif line.startswith("msgstr"):
            yield from entry()   # each plural form msgstr[n] is a string of its own
            msgstr, field = ast.literal_eval(line.split(" ", 1)[1]), "msgstr"
        elif line.startswith('"') and field == "msgid":
            msgid += ast.literal_eval(line)
        elif line.startswith('"') and field == "msgstr":
            msgstr += ast.literal_eval(line)
        else:
            field = None
    yield from entry()

def keep(line):
    # Real prose: at least three words of letters, no control characters except tab, not too long.
    if not 12 <= len(line) <= 300:
        return False
    if any(unicodedata.category(c) == "Cc" and c != "\t" for c in line):
        return False
    return len(re.findall(r"[^\W\d_]{2,}", line)) >= 3

for lang in ("es", "da"):
    lines = set()
    for po in sorted(glob.glob(os.path.join(work, "po", f"{lang}.*.po"))):
        for text in msgstrs(po):
            for line in text.split("\n"):
                if keep(line):
                    lines.add(line)
    pool = sorted(lines)
    with open(os.path.join(work, f"train.{lang}.txt"), "w", encoding="utf-8") as f:
        f.writelines(l + "\n" for l in pool)
    # Deterministic sample: order by a hash of the text, independent of catalog order.
    sample = sorted(pool, key=lambda l: hashlib.sha256(l.encode()).hexdigest())[:per_language]
    supplement = [l.rstrip("\n") for l in open(os.path.join(out, f"supplement.{lang}.txt"), encoding="utf-8")]
    with open(os.path.join(out, f"corpus.{lang}.txt"), "w", encoding="utf-8") as f:
        f.writelines(l + "\n" for l in sample + supplement)
    print(f"{lang}: {len(pool)} catalog lines, {len(sample)} sampled + {len(supplement)} supplement")
PY

cat "$work"/train.es.txt "$work"/train.da.txt "$out"/supplement.es.txt "$out"/supplement.da.txt >"$work/train.txt"
common=(--input="$work/train.txt" --vocab_size="$vocab_size" --character_coverage=0.9995
        --num_threads=2 --minloglevel=2 --seed_sentencepiece_size=200000)
# BPE without byte fallback (rare characters become <unk>); unigram with byte fallback (rare
# characters become <0x..> pieces): together they cover both out-of-vocabulary paths.
spm_train "${common[@]}" --model_type=bpe --model_prefix="$work/bpe" >/dev/null 2>&1
spm_train "${common[@]}" --model_type=unigram --byte_fallback=true --model_prefix="$work/unigram" >/dev/null 2>&1
cp "$work/bpe.model" "$out/bpe.model"
cp "$work/unigram.model" "$out/unigram.model"

for model in bpe unigram; do
  for lang in es da; do
    spm_encode --model="$out/$model.model" --output_format=piece <"$out/corpus.$lang.txt" >"$out/$model.$lang.pieces"
    spm_decode --model="$out/$model.model" --input_format=piece <"$out/$model.$lang.pieces" >"$out/$model.$lang.decoded"
  done
done

{
  echo "# Generated by scripts/make-spm-test-data.sh — do not edit."
  echo "spm_train: $(dpkg-query -W -f='${Version}' sentencepiece); vocab_size $vocab_size"
  echo "packages:"
  for p in "${packages[@]}"; do echo "  $p $(dpkg-deb -f "$work"/debs/"${p}"_*.deb Version)"; done
  echo "catalogs:"
  sed 's/^/  /' "$work/sources.txt"
} >"$out/SOURCES.txt"
wc -l "$out"/corpus.*.txt
du -h "$out"/*
