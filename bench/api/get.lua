-- wrk script: GET with the bearer key from the environment.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VOXA_KEY")
