from locust import FastHttpUser, task


class Burst(FastHttpUser):  # expect: tests.performance-suite
    @task
    def hit(self):
        self.client.get("/health")
