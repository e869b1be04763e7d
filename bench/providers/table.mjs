// The providers bench/providers/run.mjs measures: one entry each. An entry names Vapi's
// provider, whether it is the call's transcriber or voice, the local fake of its protocol
// (tests/integration/voice/, started with `canned`: a fixed transcript or a tone, no
// pocketsphinx or flite) and the config the assistant gets. The rest of the assistant is the
// `bench` engines answering at once (run.mjs).
//
//   kind      "transcriber" | "voice"
//   provider  Vapi's name: the assistant's `provider`, the metric's label, and NAME in
//             `voxa serve --provider-url NAME=<fake>` (unless `providerUrl: false`)
//   fake      [module under tests/integration/voice/, its start function, options]
//   keyEnv    the environment variable Voxa takes the key from (the fake is given the same key)
//   config    (fakeUrl) => the transcriber or voice object
//   egress    true: the fake's URL is org configuration (custom-voice's server.url), so the
//             bench opens loopback with --egress-allow
//
// Adding a provider is one entry here plus a `canned` option in its fake (and, in the
// provider, its callbacks inside net::ReadScope: providers/providers.h).
export const TRANSCRIPT = "i would like to book an appointment";

export const providers = [
    // The bench engines alone: Voxa's pipeline with nothing read from a socket (a baseline).
    { kind: "transcriber", provider: "bench", config: () => ({ provider: "bench", text: `${TRANSCRIPT}.`, delayMs: 0 }) },
    { kind: "voice", provider: "bench", config: () => ({ provider: "bench", firstByteMs: 0, msPerWord: 300 }) },

    { kind: "transcriber", provider: "deepgram", keyEnv: "DEEPGRAM_API_KEY",
      fake: ["fake-deepgram.mjs", "startDeepgramFake", { canned: TRANSCRIPT }],
      config: () => ({ provider: "deepgram", model: "nova-2", language: "en" }) },
    { kind: "transcriber", provider: "assembly-ai", keyEnv: "ASSEMBLYAI_API_KEY",
      fake: ["fake-assemblyai.mjs", "startAssemblyAIFake", { canned: TRANSCRIPT }],
      config: () => ({ provider: "assembly-ai" }) },
    { kind: "transcriber", provider: "openai", keyEnv: "OPENAI_API_KEY",
      fake: ["fake-openai-speech.mjs", "startOpenAISpeechFake", { canned: TRANSCRIPT }],
      config: () => ({ provider: "openai", model: "gpt-4o-mini-transcribe", language: "en" }) },
    { kind: "transcriber", provider: "custom-transcriber", providerUrl: false, egress: true,
      fake: ["fake-custom-transcriber.mjs", "startCustomTranscriberFake", { canned: TRANSCRIPT }],
      config: (url) => ({ provider: "custom-transcriber", server: { url } }) },
    { kind: "voice", provider: "11labs", keyEnv: "ELEVENLABS_API_KEY",
      fake: ["fake-elevenlabs.mjs", "startElevenLabsFake", { canned: true }],
      config: () => ({ provider: "11labs", voiceId: "21m00Tcm4TlvDq8ikWAM", model: "eleven_flash_v2_5" }) },
    { kind: "voice", provider: "cartesia", keyEnv: "CARTESIA_API_KEY",
      fake: ["fake-cartesia.mjs", "startCartesiaFake", { canned: true }],
      config: () => ({ provider: "cartesia", voiceId: "a0e99841-438c-4a64-b679-ae501e7d6091", model: "sonic-2" }) },
    { kind: "voice", provider: "deepgram", keyEnv: "DEEPGRAM_API_KEY",  // Aura
      fake: ["fake-deepgram-speak.mjs", "startDeepgramSpeakFake", { canned: true }],
      config: () => ({ provider: "deepgram", voiceId: "thalia", model: "aura-2" }) },
    { kind: "voice", provider: "openai", keyEnv: "OPENAI_API_KEY",
      fake: ["fake-openai-speech.mjs", "startOpenAISpeechFake", { canned: TRANSCRIPT }],
      config: () => ({ provider: "openai", voiceId: "nova", model: "gpt-4o-mini-tts" }) },
    { kind: "voice", provider: "custom-voice", providerUrl: false, egress: true,
      fake: ["fake-custom-voice.mjs", "startCustomVoiceFake", { canned: true }],
      config: (url) => ({ provider: "custom-voice", server: { url: `${url}/voice` } }) },
];
