// The recommender as the loader pipeline uses it.
export { trainRecommender, DEFAULT_RECOMMENDER_CONFIG } from './train';
export type { CatalogTitle, ModelReport, RecommenderConfig, TrainedRecommender } from './train';
export { exportRecommender, buildRecommenderExport } from './export';
export type { MfConfig } from './mf';
export { prepareRatings, ratingRowsToRaw } from './prepare';
export type { PreparedRatings } from './prepare';
