// Parameters of the recommender endpoints (/recommend, /recommendations), declared like the query
// parameters in params.ts: each definition validates requests and documents itself in OpenAPI.
import { defaulted, MAX_PARAM_LENGTH, optional, PLATFORM, quote, required, type ParamKind } from './params';
import { MAX_USER_ID, MIN_USER_ID } from '../contract';
import { intRange, TITLE_ID } from './titles-params';

export const USER_ID: ParamKind<number> = {
  schema: { type: 'integer', minimum: MIN_USER_ID, maximum: MAX_USER_ID },
  format: `a user id: digits only, ${MIN_USER_ID} to ${MAX_USER_ID}, e.g. 1`,
  parse(raw) {
    const text = raw.trim();
    if (!/^\d{1,10}$/.test(text) || Number(text) < MIN_USER_ID || Number(text) > MAX_USER_ID) {
      return {
        ok: false,
        reason: `${quote(raw)} is not a user id: give a whole number from ${MIN_USER_ID} to ${MAX_USER_ID}, digits only`,
      };
    }
    return { ok: true, value: Number(text) };
  },
  canonical: String,
};

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
export const THRESHOLD: ParamKind<number> = {
  schema: { type: 'number', minimum: 0, maximum: 5 },
  format: 'digits with an optional decimal point and fraction (e.g. 4 or 3.5), between 0 and 5 inclusive',
  parse(raw) {
    const text = raw.trim();
    const match = DECIMAL.exec(text);
    if (!match) {
      if (/^\d+,\d+$/.test(text))
        return { ok: false, reason: `${quote(raw)} uses a comma: write the decimal point as a dot, e.g. "${text.replace(',', '.')}"` };
      return { ok: false, reason: `${quote(raw)} is not a number: give digits with an optional decimal point, e.g. 3.5` };
    }
    // Compare the text, not the float: "5.0000000000000000001" is above 5 though Number() says 5.
    if (Number(match[1]) > 5 || (Number(match[1]) === 5 && !/^0*$/.test(match[2] ?? ''))) {
      return { ok: false, reason: `${quote(raw)} is out of range: the threshold must be between 0 and 5, ends included` };
    }
    return { ok: true, value: Number(text) };
  },
  canonical: String,
};

/** A title as typed by a person: matched after normalizeName, exactly. */
export const TITLE_TEXT: ParamKind<string> = {
  schema: { type: 'string', minLength: 1, maxLength: MAX_PARAM_LENGTH },
  format: 'a title, matched exactly after normalising case, accents, zero-width characters and spaces',
  parse(raw) {
    return { ok: true, value: raw };
  },
  canonical: String,
};

export const MAX_K = 100;

export const RECOMMEND_PARAMS = {
  user_id: required(USER_ID, 'The user. Unknown users get the title baseline (global mean + title bias).', '1'),
  movie_id: optional(TITLE_ID, 'The title, by catalog id (platform letter + show_id). Give movie_id or title.', 'ns2186'),
  title: optional(TITLE_TEXT, 'The title, by name (case, accents and spacing ignored). Give movie_id or title.', 'the irishman'),
  threshold: optional(THRESHOLD, 'Recommend when the predicted rating reaches this; default from the server configuration (3.5).', '4'),
};

export const RECOMMENDATIONS_PARAMS = {
  user_id: required(USER_ID, 'The user. Unknown users get the best titles by baseline (global mean + title bias).', '1'),
  k: defaulted(intRange(1, MAX_K), 10, `How many titles, 1 to ${MAX_K}.`, '10'),
  platform: optional(PLATFORM, 'Only titles of this platform; all platforms when absent.', 'disney'),
};
