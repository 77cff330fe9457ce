package rating

// GlickoScale converts a Glicko rating difference to the Glicko-2 scale,
// for callers (predictions) that compute expectations from stored ratings.
const GlickoScale = glickoScale
