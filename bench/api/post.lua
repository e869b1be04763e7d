-- wrk script: POST /assistant with a realistic assistant body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VOXA_KEY")
wrk.body = [[{"name":"Bench Assistant","firstMessage":"Hello! How can I help you today?",
"model":{"provider":"openai","model":"gpt-4o","temperature":0.7,"maxTokens":250,
"messages":[{"role":"system","content":"You are a helpful receptionist for a dental clinic. Be brief."}]},
"voice":{"provider":"local","voiceId":"slt"},"transcriber":{"provider":"local"},
"endCallPhrases":["goodbye","bye"],"maxDurationSeconds":600,
"startSpeakingPlan":{"waitSeconds":0.4},"stopSpeakingPlan":{"numWords":0,"voiceSeconds":0.2,"backoffSeconds":1},
"metadata":{"team":"bench"}}]]
