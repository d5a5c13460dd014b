/**
 * The README, CONTRIBUTING.md and docs/ link to each other by relative paths and heading anchors;
 * a renamed heading or a moved file must fail here, not leave a reader at a dead link.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");
}

function pages(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, "docs")).map((f) => path.join("docs", f));
  return ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "examples/README.md", ...docs].filter(
    (f) => f.endsWith(".md"),
  );
}

describe("the documentation's links", () => {
  it("reach a file that exists and, with an anchor, a heading in it", () => {
    const dead: string[] = [];
    for (const page of pages()) {
      const text = fs.readFileSync(path.join(ROOT, page), "utf8");
      for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(link)) continue;
        const [file, hash] = link.split("#");
        const target = file ? path.join(path.dirname(page), file) : page;
        if (!fs.existsSync(path.join(ROOT, target))) {
          dead.push(`${page}: ${link}`);
        } else if (hash !== undefined && target.endsWith(".md")) {
          const headings = fs.readFileSync(path.join(ROOT, target), "utf8").matchAll(/^#+ (.*)$/gm);
          if (![...headings].some(([, h]) => anchor(h) === hash)) dead.push(`${page}: ${link}`);
        }
      }
    }
    assert.ok(pages().length >= 10, "the pages are found");
    assert.deepEqual(dead, []);
  });
});
