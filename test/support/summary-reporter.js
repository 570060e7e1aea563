// @ts-check
/**
 * Writes the run's totals as JSON to $TEST_SUMMARY_FILE (when set) so .ci/run can print
 * "N passed, N failed" while running exactly `npm test`. A test file that fails to load has
 * no test results of its own; it counts as one failure.
 */
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  /** @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const file = process.env.TEST_SUMMARY_FILE;
    if (!file) return;
    const brokenFiles = results.testResults.filter((r) => r.testExecError || (r.failureMessage && r.numFailingTests === 0)).length;
    writeFileSync(file, JSON.stringify({ passed: results.numPassedTests, failed: results.numFailedTests + brokenFiles }));
  }
}

module.exports = SummaryReporter;
