import { writeFileSync } from 'node:fs';
import { ANALYSIS_QUERIES_PATH, analysisQueriesFile } from './argo';

// `npm run chart:queries` (from the repository root): writes the chart's copy of the analysis
// queries (helm/bulwark/files/analysis-queries.json) from src/rollout/analysis/argo.ts.
writeFileSync(ANALYSIS_QUERIES_PATH, analysisQueriesFile());
