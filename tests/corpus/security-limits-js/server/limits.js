const { RateLimiter } = require("limiter");
const { RateLimiterMemory } = require("rate-limiter-flexible");

const loginLimiter = new RateLimiter({ tokensPerInterval: 20, interval: "minute" }); // expect: security.global-login-rate-limit
const twoFaRateLimiter = new RateLimiter({ tokensPerInterval: 30, interval: "minute" }); // expect: security.global-login-rate-limit
const passwordResetLimiter = new RateLimiter({ tokensPerInterval: 5, interval: "hour" }); // expect: security.global-login-rate-limit
const loginByIpLimiter = new RateLimiterMemory({ points: 5, duration: 60 }); // expect: reliability.in-memory-rate-limit
const apiLimiter = new RateLimiter({ tokensPerInterval: 60, interval: "minute" });

module.exports = { loginLimiter, twoFaRateLimiter, passwordResetLimiter, loginByIpLimiter, apiLimiter };
