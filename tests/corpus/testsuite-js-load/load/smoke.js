import http from "k6/http"; // expect: tests.performance-suite
import { sleep } from "k6";

export const options = { vus: 10, duration: "30s" };

export default function () {
  http.get("http://127.0.0.1:3000/health");
  sleep(1);
}
