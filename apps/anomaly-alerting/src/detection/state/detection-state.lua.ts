/**
 * Lua scripts of the detection state. Each runs atomically in Redis, so instances of the service
 * that consume the same user's events on different partitions agree on every count.
 *
 * Idempotency: each script that changes state starts by looking up a memo keyed by the event id
 * (`KEYS[1]`). The first run stores what it returned there; a redelivered event (the handler's
 * transaction failed, or the instance died before committing its offset) gets the same answer
 * without counting the event twice, so the decision replays exactly.
 *
 * All keys of one script share a Redis Cluster hash tag (`{u:<userId>}` or `{n:<network>}`),
 * except `RELEASE_MEMOS_LUA`'s (see there).
 */

const MEMO = `
local memo = redis.call('GET', KEYS[1])
if memo then return memo end
`;
const REMEMBER = `
local out = cjson.encode(result)
redis.call('SET', KEYS[1], out, 'EX', tonumber(ARGV[#ARGV]))
return out
`;

/**
 * Adds `member` at `at` to a sorted-set window, trims entries older than `keepMs`, and returns the
 * count from `at - windowMs` on and the newest 20 ids. "On" includes events timestamped after this
 * one: events of one user arrive on several partitions, so the one processed last may not be the
 * latest, and it must still see the others.
 */
const WINDOW_FN = `
local function window(key, at, member, windowMs, keepMs)
  redis.call('ZADD', key, at, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (at - keepMs))
  redis.call('PEXPIRE', key, keepMs)
  local ids = redis.call('ZREVRANGEBYSCORE', key, '+inf', at - windowMs, 'LIMIT', 0, 20)
  local count = #ids
  if count == 20 then count = redis.call('ZCOUNT', key, at - windowMs, '+inf') end
  return count, ids
end
`;

/**
 * Login succeeded. KEYS: memo, meta (hash), devices, countries, networks (hashes), lastloc, hours (hash), fails (zset).
 * ARGV: eventId, at, deviceId, country, network, location JSON, hour, failWindowMs, memoTtl.
 */
export const LOGIN_SUCCEEDED_LUA = `${MEMO}
local at = tonumber(ARGV[2])
local result = {}
local meta = redis.call('HMGET', KEYS[2], 'logins', 'firstAt')
result.priorLogins = tonumber(meta[1] or '0')
result.firstLoginAt = tonumber(meta[2] or '-1')
redis.call('HINCRBY', KEYS[2], 'logins', 1)
if (not meta[2]) or tonumber(meta[2]) > at then redis.call('HSET', KEYS[2], 'firstAt', at) end
local function seen(key, value)
  if value == '' then return -1 end
  local firstAt = redis.call('HGET', key, value)
  if (not firstAt) or tonumber(firstAt) > at then redis.call('HSET', key, value, at) end
  if firstAt and tonumber(firstAt) < at then return 1 end
  return 0
end
result.device = seen(KEYS[3], ARGV[3])
result.country = seen(KEYS[4], ARGV[4])
result.network = seen(KEYS[5], ARGV[5])
local prev = redis.call('GET', KEYS[6])
result.previousLocated = prev or ''
if ARGV[6] ~= '' then
  local older = true
  if prev then older = cjson.decode(prev).at <= at end
  if older then redis.call('SET', KEYS[6], ARGV[6]) end
end
result.hours = redis.call('HGETALL', KEYS[7])
redis.call('HINCRBY', KEYS[7], ARGV[7], 1)
local windowMs = tonumber(ARGV[8])
result.failureIds = redis.call('ZREVRANGEBYSCORE', KEYS[8], '+inf', at - windowMs, 'LIMIT', 0, 20)
result.failures = #result.failureIds
if result.failures == 20 then result.failures = redis.call('ZCOUNT', KEYS[8], at - windowMs, '+inf') end
${REMEMBER}`;

/** Login failed, per user. KEYS: memo, fails. ARGV: eventId, at, windowMs, keepMs, memoTtl. */
export const LOGIN_FAILED_USER_LUA = `${MEMO}${WINDOW_FN}
local at = tonumber(ARGV[2])
local count, ids = window(KEYS[2], at, ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
local result = { count = count, eventIds = ids }
${REMEMBER}`;

/** Login failed, per network. KEYS: memo, users (zset of user keys), events. ARGV: eventId, at, userKey, windowMs, keepMs, memoTtl. */
export const LOGIN_FAILED_NETWORK_LUA = `${MEMO}${WINDOW_FN}
local at = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[4])
local keepMs = tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], 'GT', at, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (at - keepMs))
redis.call('PEXPIRE', KEYS[2], keepMs)
local distinct = redis.call('ZCOUNT', KEYS[2], at - windowMs, '+inf')
local _, ids = window(KEYS[3], at, ARGV[1], windowMs, keepMs)
local result = { count = distinct, eventIds = ids }
${REMEMBER}`;

/**
 * Export completed. KEYS: memo, rows (zset of "eventId:rows"), departing.
 * ARGV: eventId, at, rows, windowMs, baselineMs, memoTtl.
 */
export const EXPORT_COMPLETED_LUA = `${MEMO}
local at = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[4])
local baselineMs = tonumber(ARGV[5])
local keepMs = 16 * 86400000
redis.call('ZADD', KEYS[2], at, ARGV[1] .. ':' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (at - keepMs))
redis.call('PEXPIRE', KEYS[2], keepMs)
local function sum(from, to)
  local total = 0
  local ids = {}
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], from, to)) do
    local sep = string.find(member, ':', 1, true)
    total = total + tonumber(string.sub(member, sep + 1))
    table.insert(ids, 1, string.sub(member, 1, sep - 1))
  end
  return total, ids
end
local inWindow, ids = sum(at - windowMs, '+inf')
local baseline = sum(at - windowMs - baselineMs, '(' .. (at - windowMs))
while #ids > 20 do table.remove(ids) end
local result = { rowsInWindow = inWindow, rowsBaseline = baseline, eventIds = ids, departing = redis.call('EXISTS', KEYS[3]) }
${REMEMBER}`;

/**
 * Customers accessed. KEYS: memo, day bucket hash (today), day bucket hash (yesterday), peaks hash,
 * events zset, reveals zset, departing, anomalous-days hash.
 * ARGV: eventId, at, customers, reveals, windowMs, revealWindowMs, baselineDays, memoTtl.
 * Buckets are per minute (field = minute of the day); the day's peak is the highest window count
 * seen that day (peaks field = day number).
 *
 * The baseline (highest peak of the previous `baselineDays` days, days marked anomalous left out)
 * changes only when a past day's peak or mark changes, so it is computed at the day's first event
 * and kept in the peaks hash (field `b<baselineDays>:<day>`, value `peak:days`); field `bmax` is
 * the latest day so kept. An event of an earlier day that raises that day's peak (events of one user
 * arrive out of order across partitions), or a day marked anomalous, drops the kept baselines it
 * feeds (see `forgetBaselines`).
 */
const FORGET_BASELINES_FN = `
local function forgetBaselines(key, fromDay, baselineDays)
  local fields = {}
  for d = fromDay + 1, fromDay + baselineDays do table.insert(fields, 'b' .. baselineDays .. ':' .. d) end
  redis.call('HDEL', key, unpack(fields))
end
`;
export const CUSTOMERS_ACCESSED_LUA = `${MEMO}${FORGET_BASELINES_FN}
local at = tonumber(ARGV[2])
local customers = tonumber(ARGV[3])
local reveals = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local revealWindowMs = tonumber(ARGV[6])
local baselineDays = tonumber(ARGV[7])
local minute = math.floor(at / 60000)
local day = math.floor(minute / 1440)
if customers > 0 then
  local bucket = redis.call('HINCRBY', KEYS[2], minute % 1440, customers)
  -- The key's lifetime is set when a minute opens (not on every event).
  if bucket == customers then redis.call('PEXPIRE', KEYS[2], 2 * 86400000 + 3600000) end
end
local windowMinutes = math.max(1, math.floor(windowMs / 60000))
local from = minute - windowMinutes + 1
local total = 0
local today = {}
local yesterday = {}
for m = from, minute do
  if math.floor(m / 1440) == day then table.insert(today, m % 1440) else table.insert(yesterday, m % 1440) end
end
for _, key in ipairs({ { KEYS[2], today }, { KEYS[3], yesterday } }) do
  if #key[2] > 0 then
    for _, v in ipairs(redis.call('HMGET', key[1], unpack(key[2]))) do
      if v then total = total + tonumber(v) end
    end
  end
end
local keptField = 'b' .. baselineDays .. ':' .. day
local kept = redis.call('HMGET', KEYS[4], keptField, day, 'bmax')
local peak = 0
local days = 0
if kept[1] then
  local sep = string.find(kept[1], ':', 1, true)
  peak = tonumber(string.sub(kept[1], 1, sep - 1))
  days = tonumber(string.sub(kept[1], sep + 1))
else
  local baselineFields = {}
  for d = day - baselineDays, day - 1 do table.insert(baselineFields, d) end
  if #baselineFields > 0 then
    local peaks = redis.call('HMGET', KEYS[4], unpack(baselineFields))
    local anomalous = redis.call('HMGET', KEYS[8], unpack(baselineFields))
    for i = 1, #baselineFields do
      if peaks[i] and not anomalous[i] then
        days = days + 1
        if tonumber(peaks[i]) > peak then peak = tonumber(peaks[i]) end
      end
    end
  end
  redis.call('HSET', KEYS[4], keptField, peak .. ':' .. days)
  if (not kept[3]) or tonumber(kept[3]) < day then redis.call('HSET', KEYS[4], 'bmax', day) end
  redis.call('HDEL', KEYS[4], day - baselineDays - 1, 'b' .. baselineDays .. ':' .. (day - 1))
  redis.call('PEXPIRE', KEYS[4], (baselineDays + 1) * 86400000)
end
local todayPeak = tonumber(kept[2] or '0')
if total > todayPeak then
  redis.call('HSET', KEYS[4], day, total)
  if kept[3] and tonumber(kept[3]) > day then forgetBaselines(KEYS[4], day, baselineDays) end
end
redis.call('ZADD', KEYS[5], at, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -51)
redis.call('PEXPIRE', KEYS[5], 86400000)
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[5], at, at - windowMs, 'LIMIT', 0, 20)
if reveals > 0 then
  redis.call('ZADD', KEYS[6], at, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. (at - 86400000))
  redis.call('PEXPIRE', KEYS[6], 86400000)
end
local departing = redis.call('EXISTS', KEYS[7])
-- Reveals in the window matter only to the departing-user rule.
local revealCount = 0
if departing == 1 then revealCount = redis.call('ZCOUNT', KEYS[6], at - revealWindowMs, at) end
local result = { customersInWindow = total, baselinePeak = peak, baselineDays = days, revealsInWindow = revealCount, eventIds = ids, departing = departing }
${REMEMBER}`;

/**
 * A day marked anomalous. KEYS: anomalous-days hash, peaks hash. ARGV: day, baselineDays.
 * Drops the baselines kept for the days it feeds (they now leave it out).
 */
export const MARK_ANOMALOUS_DAY_LUA = `${FORGET_BASELINES_FN}
local day = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], day, 1)
redis.call('PEXPIRE', KEYS[1], 16 * 86400000)
forgetBaselines(KEYS[2], day, tonumber(ARGV[2]))
return 1
`;

/** Access denied. KEYS: memo, denials. ARGV: eventId, at, windowMs, keepMs, memoTtl. */
export const ACCESS_DENIED_LUA = LOGIN_FAILED_USER_LUA;

/**
 * Memos of committed events, shortened. KEYS: the memos (any number). ARGV: ttl seconds. One call
 * per batch, not a command per memo. Its keys span hash tags, which a standalone Redis (what the
 * service connects to) allows; a Redis Cluster client would have to split the call by slot.
 */
export const RELEASE_MEMOS_LUA = `
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
return #KEYS
`;
