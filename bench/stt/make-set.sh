#!/usr/bin/env bash
# make-set.sh OUT_DIR [MAX_SENTENCES]: builds the recognizer's word-error-rate set at test time
# and prints its manifest (set, condition, id, wav, reference; tab-separated) to OUT_DIR/manifest.tsv.
#   sets:        flite-slt, flite-rms, flite-awb (sentences.txt), rules-slt, rules-rms,
#                rules-awb (rules.txt: caller lines for the scripted templates, with their trigger
#                and template in two more columns), cards and librivox (the real recordings in
#                pocketsphinx-testdata)
#   conditions:  16k     the recording at 16 kHz (the wideband reference)
#                ulaw8k  through 8 kHz mu-law, as a Twilio media stream carries it
#                alaw8k  through 8 kHz A-law (European phone lines)
# The 8 kHz files stay at 8 kHz (linear PCM after the companding): the reader upsamples them
# with Voxa's own resampler, as the transports do.
set -euo pipefail
out=${1:?usage: make-set.sh OUT_DIR [MAX_SENTENCES]}
max=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
data=/usr/share/pocketsphinx/test/data
mkdir -p "$out"
manifest="$out/manifest.tsv"
: >"$manifest"

# one WAV in -> its three conditions, one manifest line each
conditions() {  # set id src reference
    local set=$1 id=$2 src=$3 ref=$4 base="$out/$1/$2"
    mkdir -p "$out/$set"
    sox -V1 "$src" -r 16000 -c 1 -b 16 -e signed "$base.16k.wav"
    for law in u-law a-law; do
        local tag=${law%%-law}law8k
        sox -V1 "$base.16k.wav" -r 8000 -e "$law" -b 8 "$base.$tag.tmp.wav"
        sox -V1 "$base.$tag.tmp.wav" -e signed -b 16 "$base.$tag.wav"
        rm -f "$base.$tag.tmp.wav"
    done
    for c in 16k ulaw8k alaw8k; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$set" "$c" "$id" "$base.$c.wav" "$ref" >>"$manifest"
    done
}

n=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    n=$((n + 1)); ((n > max)) && break
    for v in slt rms awb; do
        flite -voice "$v" -t "$line" -o "$tmp/s.wav"
        conditions "flite-$v" "$(printf 's%02d' $n)" "$tmp/s.wav" "$line"
    done
done <"$here/sentences.txt"

# The scripted templates' caller lines (rules.txt): set rules-VOICE, with the trigger and the
# template as two more columns (stt_bench --bias-dir bench/stt: the template's vocabulary).
n=0
while IFS='|' read -r template line trigger; do
    [[ -z $template || $template == \#* ]] && continue
    n=$((n + 1))
    for v in slt rms awb; do
        flite -voice "$v" -t "$line" -o "$tmp/s.wav"
        before=$(wc -l <"$manifest")
        conditions "rules-$v" "$(printf 'r%02d' $n)" "$tmp/s.wav" "$line"
        # the three lines just written get the trigger and the template
        sed -i "$((before + 1)),\$ s/\$/\t$trigger\t$template/" "$manifest"
    done
done <"$here/rules.txt"

if [[ -d $data/cards ]]; then
    while read -r ref; do
        id=$(sed -n 's/.*(\(.*\))$/\1/p' <<<"$ref")
        text=$(sed 's/<s>//; s/<\/s>.*//; s/  */ /g; s/^ //; s/ $//' <<<"$ref")
        conditions cards "$id" "$data/cards/$id.wav" "$text"
    done <"$data/cards/cards.transcription"
    while read -r ref; do
        id=$(sed -n 's/.*(\(.*\))$/\1/p' <<<"$ref")
        text=$(sed 's/<s>//; s/<\/s>.*//; s/  */ /g; s/^ //; s/ $//' <<<"$ref")
        conditions librivox "$id" "$data/librivox/$id.wav" "$text"
    done <"$data/librivox/transcription"
fi
echo "$manifest"
