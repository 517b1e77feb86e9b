from locust import HttpUser, between, task


class ApiUser(HttpUser):  # expect: tests.performance-suite
    wait_time = between(1, 2)

    @task
    def list_items(self):
        self.client.get("/items")
