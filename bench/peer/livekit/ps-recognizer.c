/* A pocketsphinx recognizer that stays loaded, for the LiveKit bridge's --stt pocketsphinx
 * (bench/turns): the same en-us model and decoder arguments as Voxa's embedded transcriber
 * (src/providers/local/stt_pocketsphinx.cpp), so both peers hear the caller with the same
 * engine and neither pays a model load per utterance.
 *
 * Protocol on stdin/stdout: a request is a 4-byte little-endian length N and N bytes of s16le
 * 16 kHz mono PCM (one VAD segment); the answer is one line, the hypothesis (may be empty).
 * Build: cc -O2 -o ps-recognizer ps-recognizer.c $(pkg-config --cflags --libs pocketsphinx sphinxbase)
 */
#include <err.h>
#include <pocketsphinx.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MODEL "/usr/share/pocketsphinx/model/en-us"
#define MAX_BYTES (16000 * 2 * 120) /* two minutes of audio at most */

static int readAll(void* p, size_t n) { return fread(p, 1, n, stdin) == n; }

int main(void) {
    err_set_logfp(NULL);
    cmd_ln_t* cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", MODEL "/en-us", "-lm", MODEL "/en-us.lm.bin",
                                "-dict", MODEL "/cmudict-en-us.dict", "-samprate", "16000", NULL);
    ps_decoder_t* ps = cfg ? ps_init(cfg) : NULL;
    if (!ps) {
        fprintf(stderr, "ps-recognizer: cannot load the model under %s\n", MODEL);
        return 1;
    }
    int16_t* pcm = malloc(MAX_BYTES);
    unsigned char len[4];
    while (readAll(len, 4)) {
        uint32_t n = len[0] | len[1] << 8 | len[2] << 16 | (uint32_t)len[3] << 24;
        if (n > MAX_BYTES || (n && !readAll(pcm, n))) return 2;
        const char* hyp = NULL;
        if (ps_start_utt(ps) == 0) {
            ps_process_raw(ps, pcm, n / 2, FALSE, TRUE);
            ps_end_utt(ps);
            hyp = ps_get_hyp(ps, NULL);
        }
        printf("%s\n", hyp ? hyp : "");
        fflush(stdout);
    }
    ps_free(ps);
    cmd_ln_free_r(cfg);
    free(pcm);
    return 0;
}
