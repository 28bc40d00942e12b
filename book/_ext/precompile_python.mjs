// `make wheels`: the SymPy and mpmath wheels, unpacked and compiled to bytecode by the book's own
// Pyodide (in Node), zipped for the "Check your answer" worker (_static/w2v-answer-worker.js).
// Pyodide compiles every module it imports from source, and SymPy's are many: in the browser
// `import sympy` from the wheels took 13 s here, from this zip 2.5 s. The .pyc are
// unchecked-hash (valid whatever the files' dates after unzipping); the packages' own test
// suites are left out. Usage: node precompile_python.mjs PYODIDE_DIR OUT.zip WHEEL...
import {readFileSync, writeFileSync} from "node:fs";
import {resolve} from "node:path";
import {pathToFileURL} from "node:url";

const [pyodideDir, out, ...wheels] = process.argv.slice(2);
if (!out || !wheels.length) {
  console.error("usage: node precompile_python.mjs PYODIDE_DIR OUT.zip WHEEL...");
  process.exit(2);
}
const indexURL = resolve(pyodideDir) + "/";     // in Node a path, not a URL
const {loadPyodide} = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const py = await loadPyodide({indexURL, stdout: () => {}, stderr: () => {}});
for (const wheel of wheels) {
  py.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", {extractDir: "/tmp/site"});
}
py.runPython(`
import compileall, os, py_compile, shutil, warnings, zipfile
root = "/tmp/site"
for here, dirs, files in os.walk(root):
    for d in [d for d in dirs if d == "tests"]:
        shutil.rmtree(os.path.join(here, d))
        dirs.remove(d)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")          # SymPy's own sources warn under 3.14 (return in finally)
    ok = compileall.compile_dir(root, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
if not ok:
    raise SystemExit("compileall failed")
paths = sorted(os.path.join(h, f) for h, _, fs in os.walk(root) for f in fs)
with zipfile.ZipFile("/tmp/site.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for p in paths:                          # fixed order and dates: the same wheels give the same zip
        info = zipfile.ZipInfo(os.path.relpath(p, root), date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(p, "rb") as f:
            z.writestr(info, f.read())
`);
writeFileSync(out, py.FS.readFile("/tmp/site.zip"));
console.log(`precompile_python: wrote ${out}`);
