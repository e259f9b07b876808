// A `$BROWSER` for the tests: hands the URL the CLI opens to the test (which drives headless Chromium there).
// Usage: BROWSER="node opener.mjs <notify-url>"; the CLI appends the URL to open.
const [notify, url] = process.argv.slice(2)
const response = await fetch(notify, { method: 'POST', body: url })
process.exit(response.ok ? 0 : 1)
