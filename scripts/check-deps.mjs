// Checks that scripts/deps.sh installs everything the build and the tests look for, so that
// `make run` works on a machine with only the build set and `make test` with build + test.
//
//   node scripts/check-deps.mjs [SOURCE_DIR]      (scripts/check-deps.sh; part of make test)
//
// 1. Configures SOURCE_DIR twice in temporary dirs with `cmake --trace-expand`: as `make
//    build` does, and as `make test` does (VOXA_REQUIRE_TEST_DEPS=ON). Every REQUIRED
//    find_package / pkg_check_modules / find_program / find_library of the source tree is
//    mapped to what it found (CMakeCache entries, the .pc file) and `dpkg -S` names the
//    Debian package that provides it.
// 2. That package must be in the dependency closure (apt-cache depends --recurse) of the
//    build set for the first configure, of build + test for the second.
// 3. The tools the test runners require (`for tool in ...`, `command -v X`) must come from
//    build + test; those of scripts/web-build.sh (part of make build) from build.
// Prints one line per dependency and exits 1 listing what is missing from which set.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.argv[2] || join(dirname(fileURLToPath(import.meta.url)), ".."));
const depsScript = join(root, "scripts/deps.sh");
const problems = [];

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });

function listSet(name) {
    return sh("bash", [depsScript, "--list", name]).split("\n").map((s) => s.trim()).filter(Boolean);
}

/** Every package the given ones pull in (Depends and Pre-Depends, recursively). */
function closure(pkgs) {
    const out = sh("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                                 "--no-breaks", "--no-replaces", "--no-enhances", ...pkgs]);
    const set = new Set(pkgs);
    for (const line of out.split("\n")) if (line && !line.startsWith(" ")) set.add(line.replace(/:.*$/, "").replace(/^<|>$/g, ""));
    return set;
}

const ownerCache = new Map();
function dpkgOwners(path) {
    if (ownerCache.has(path)) return ownerCache.get(path);
    const r = spawnSync("dpkg-query", ["-S", path], { encoding: "utf8" });
    const pkgs = r.status === 0
        ? [...new Set(r.stdout.split("\n").filter(Boolean).flatMap((l) => l.slice(0, l.lastIndexOf(": ")).split(", "))
              .map((p) => p.replace(/:.*$/, "").trim()))]
        : [];
    ownerCache.set(path, pkgs);
    return pkgs;
}

/** Debian packages that own `path` (libssl.so: the -dev package's symlink), else its target. */
function owners(path) {
    const direct = dpkgOwners(path);
    if (direct.length) return direct;
    try {
        return dpkgOwners(realpathSync(path));
    } catch {
        return [];
    }
}

/** Configures `root` into a temp dir; returns {calls, cache}. */
function configure(extra) {
    const dir = mkdtempSync(join(tmpdir(), "voxa-check-deps-"));
    try {
        const trace = join(dir, "trace.json");
        const r = spawnSync("cmake", ["-S", root, "-B", join(dir, "b"), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                                      ...extra, "--trace-expand", "--trace-format=json-v1", `--trace-redirect=${trace}`],
                            { encoding: "utf8", maxBuffer: 64 << 20 });
        if (r.status !== 0) {
            problems.push(`cmake ${extra.join(" ") || "(default)"} failed to configure:\n${(r.stdout + r.stderr).slice(-3000)}`);
            return null;
        }
        const calls = [];
        for (const line of readFileSync(trace, "utf8").split("\n")) {
            if (!line.startsWith("{")) continue;
            const d = JSON.parse(line);
            const cmd = (d.cmd || "").toLowerCase();
            if (!["find_package", "pkg_check_modules", "find_program", "find_library"].includes(cmd)) continue;
            if (!d.file.startsWith(root + "/")) continue;
            calls.push({ cmd, args: d.args.filter((a) => a !== ""), where: `${relative(root, d.file)}:${d.line}` });
        }
        const cache = new Map();
        for (const line of readFileSync(join(dir, "b", "CMakeCache.txt"), "utf8").split("\n")) {
            const m = /^([^#/][^:=]*):[A-Z]+=(.*)$/.exec(line);
            if (m) cache.set(m[1], m[2]);
        }
        return { calls, cache };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The files a REQUIRED call found, or null when the call is optional. */
function foundBy(call, cache) {
    const { cmd, args } = call;
    if (!args.includes("REQUIRED")) return null;
    const existing = (v) => (v || "").split(";").filter((p) => p.startsWith("/") && existsSync(p));
    if (cmd === "find_program" || cmd === "find_library") return existing(cache.get(args[0]));
    if (cmd === "pkg_check_modules") {
        const keywords = new Set(["REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH"]);
        const modules = args.slice(1).filter((a) => !keywords.has(a)).map((m) => m.split(/[<>=]/)[0]);
        const pcs = modules.map((m) => spawnSync("pkg-config", ["--path", m], { encoding: "utf8" }).stdout.trim()).filter(Boolean);
        const libs = [...cache].filter(([k]) => k.startsWith(`pkgcfg_lib_${args[0]}_`)).flatMap(([, v]) => existing(v));
        return [...pcs, ...libs];
    }
    // find_package(NAME): its <NAME>_DIR (config mode) or the entries its module set.
    const name = args[0].toLowerCase();
    if (name === "threads") return [];  // the C library itself
    const files = [];
    for (const [k, v] of cache) {
        const key = k.toLowerCase();
        if (key.startsWith(name + "_") || (name === "pkgconfig" && key === "pkg_config_executable") ||
            (name === "boost" && key.startsWith("boost_")))
            files.push(...existing(v));
    }
    return files;
}

function checkConfigure(label, extra, allowed, setName) {
    const r = configure(extra);
    if (!r) return;
    for (const call of r.calls) {
        const files = foundBy(call, r.cache);
        if (files === null) continue;
        const what = `${call.cmd}(${call.args.join(" ")})`;
        if (!files.length) {
            if (call.args[0].toLowerCase() !== "threads") console.log(`  ${label}: ${what} at ${call.where}: nothing to attribute`);
            continue;
        }
        // Files name their package; a directory such as /usr/include only when nothing else was found.
        const plain = files.filter((f) => statSync(f).isFile());
        const pkgs = [...new Set((plain.length ? plain : files).flatMap(owners))];
        const ok = pkgs.some((p) => allowed.has(p));
        const shown = pkgs.length > 4 ? `${pkgs.slice(0, 4).join(", ")}, ...` : pkgs.join(", ");
        console.log(`  ${label}: ${call.where} ${what} -> ${shown || "(no Debian package)"} ${ok ? "ok" : "MISSING"}`);
        if (!ok)
            problems.push(`${call.where}: ${what} is REQUIRED by the ${label} configure, but ` +
                          (pkgs.length ? `${pkgs.join(" / ")} (which provides ${files[0]}) is not in the ${setName} of scripts/deps.sh`
                                       : `${files[0]} belongs to no Debian package`));
    }
}

/** Tools a script requires: `for tool in a b c` and `command -v x`. */
function requiredTools(file) {
    const text = readFileSync(file, "utf8");
    const tools = new Set();
    for (const m of text.matchAll(/for tool in ([^;\n]+);/g)) m[1].trim().split(/\s+/).forEach((t) => tools.add(t));
    for (const m of text.matchAll(/command -v ([A-Za-z0-9_.-]+)/g)) tools.add(m[1]);
    return tools;
}

function walk(dir, out = []) {
    for (const e of readdirSync(dir)) {
        if (e === "node_modules" || e.startsWith(".")) continue;
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p, out);
        else if (p.endsWith(".sh")) out.push(p);
    }
    return out;
}

function checkTools(files, allowed, setName) {
    for (const file of files) {
        for (const tool of requiredTools(file)) {
            const which = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
            const where = relative(root, file);
            if (!which) {
                problems.push(`${where} requires ${tool}, which is not installed (scripts/deps.sh ${setName})`);
                continue;
            }
            const pkgs = owners(which);
            if (!pkgs.length) {
                console.log(`  tools: ${where}: ${tool} (${which}) is not from a Debian package; not checked`);
                continue;
            }
            const ok = pkgs.some((p) => allowed.has(p));
            console.log(`  tools: ${where}: ${tool} -> ${pkgs.join(", ")} ${ok ? "ok" : "MISSING"}`);
            if (!ok) problems.push(`${where} requires ${tool} (package ${pkgs.join(" / ")}), which is not in the ${setName} of scripts/deps.sh`);
        }
    }
}

const build = listSet("build"), test = listSet("test");
const buildClosure = closure(build);
const testClosure = closure([...build, ...test]);
console.log(`check-deps: build set ${build.length} packages (${buildClosure.size} with dependencies), ` +
            `test set ${test.length} (${testClosure.size} with build and dependencies)`);
checkConfigure("build", [], buildClosure, "build set");
checkConfigure("test", ["-DVOXA_REQUIRE_TEST_DEPS=ON"], testClosure, "build or test set");
checkTools([join(root, "scripts/web-build.sh")], buildClosure, "build set");
checkTools([join(root, "scripts/test.sh"), ...walk(join(root, "tests"))], testClosure, "build or test set");

if (problems.length) {
    console.error(`\ncheck-deps: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`- ${p}`);
    process.exit(1);
}
console.log("check-deps: every dependency of the build and the tests is installed by scripts/deps.sh");
