// Hugging Face's own JavaScript port of the `tokenizers` crate (npm @huggingface/tokenizers),
// as a second independent reference for tokenizer.json files:
//   NODE_PATH=<dir with node_modules> node test/reference/tokenizers_hfjs.mjs tokenizer.json < seqs
// Prints one line per input line: the ids (add_special_tokens), or ERROR for non-ASCII input
// (which our tokenizers refuse). Input is upper-cased first, as varformer does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.HFJS_DIR + "/");
const { Tokenizer } = require("@huggingface/tokenizers");
const tj = JSON.parse(readFileSync(process.argv[2], "utf8"));
const tok = new Tokenizer(tj, {});
const lines = readFileSync(0).toString("latin1").split("\n");
lines.pop();
const out = [];
for (const line of lines) {
  if (/[^\x00-\x7f]/.test(line)) { out.push("ERROR"); continue; }
  const s = line.replace(/[a-z]/g, (c) => c.toUpperCase());
  out.push(tok.encode(s, { add_special_tokens: true }).ids.join(" "));
}
process.stdout.write(out.join("\n") + "\n");
