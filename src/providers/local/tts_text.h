// Text preparation for the local TTS engines (flite, espeak-ng): what one speak() may cost
// is bounded here, whoever wrote the text (a control `say`, a firstMessage, a model reply).
//
//   std::string text = "...";
//   size_t dropped = truncateUtterance(text);      // > kMaxUtteranceBytes: cut, log `dropped`
//   for (auto& s : splitSentences(text)) synth(s); // each <= kMaxSentenceBytes, words <= 48 B
//
// Why: flite's cost grows faster than linearly with the length of one word (the flite CLI
// on this project's machine: 400 letters 4.2 s, 1,000 letters 15.4 s) and one engine call
// is planned whole before its first sample streams. A 4,000-letter word held a compute
// thread for seconds before any audio or any chance to cancel; a 200 KB one for minutes.
//
// Limits (bytes of UTF-8; the engines speak what is left, the call goes on):
//   kMaxUtteranceBytes 4000  longer text is cut at a blank near the limit (or at a character
//                            boundary); the caller logs it. ~4-5 minutes of English
//                            (~9 MB of 16 kHz audio in the call's output queue); spelled-out
//                            letter salad runs a few times longer.
//   kMaxWordBytes        48  a longer run of non-blank characters (no dictionary word is that
//                            long: a pasted hash, base64, 4,000 repeated letters) is broken
//                            into 48-byte pieces, each spoken as a word of its own. Text
//                            without blanks (Chinese, Japanese) is broken the same way, which
//                            the engines read per character anyway.
//   kMaxSentenceBytes   200  one engine call; a longer sentence is split at its last ", ; :"
//                            (followed by a blank) in the second half, else at its last blank.
//                            This bounds the time between two looks at cancel/close/shutdown.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::providers::local {

inline constexpr size_t kMaxUtteranceBytes = 4000;
inline constexpr size_t kMaxWordBytes = 48;
inline constexpr size_t kMaxSentenceBytes = 200;

/// Cuts `text` to at most `limit` bytes: at the last blank within kMaxWordBytes of the limit
/// if there is one, else at a UTF-8 character boundary. Returns how many bytes were dropped.
size_t truncateUtterance(std::string& text, size_t limit = kMaxUtteranceBytes);

/// Breaks every run of non-blank bytes longer than `maxWord` into pieces of at most
/// `maxWord` bytes separated by a space, never inside a UTF-8 character.
std::string breakLongWords(std::string_view text, size_t maxWord = kMaxWordBytes);

/// The sentences to synthesize, in order: split at sentence ends (. ! ? ; followed by a
/// blank or the end, or a newline), long words broken (breakLongWords), sentences longer
/// than `maxSentence` split as described above; blank-trimmed, empty ones dropped. Normal
/// text comes out as its sentences, unchanged.
std::vector<std::string> splitSentences(std::string_view text,
                                        size_t maxSentence = kMaxSentenceBytes);

}  // namespace voxa::providers::local
