// Opens tandem evaluate's HTML report in headless Chromium, checks that it renders what it
// must (the verdict, the plots as inline SVG) without fetching anything, and writes a
// full-page screenshot. Usage: node screenshot.mjs REPORT.html OUT.png
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [report, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
const url = pathToFileURL(path.resolve(report)).href;
const requests = [];
page.on("request", (r) => requests.push(r.url()));
await page.goto(url);
const svgs = await page.locator("svg").count();
const heading = await page.locator("h2", { hasText: "Verdict" }).count();
const circles = await page.locator("svg circle").count();
await page.screenshot({ path: out, fullPage: true });
await browser.close();
const external = requests.filter((u) => u !== url);
const problems = [];
if (heading !== 1) problems.push("no Verdict section");
if (svgs < 3) problems.push(`expected at least 3 inline SVG plots, found ${svgs}`);
if (circles < 1) problems.push("the plots have no points");
if (external.length) problems.push(`the report fetched ${external.join(", ")}`);
if (problems.length) {
  console.error(`report check failed: ${problems.join("; ")}`);
  process.exit(1);
}
console.log(`report check: ${svgs} SVG plots, ${circles} points, no request but the page; screenshot ${out}`);
