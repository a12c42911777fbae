import httpx

from support.emulator import sample_dataset


def test_job_runs_to_success(emulator):
    emulator.write_object("gs://bucket/train.jsonl", sample_dataset(10))
    job = emulator.create_job("gs://bucket/train.jsonl")
    assert job["state"] == "JOB_STATE_PENDING"
    done = emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED")
    assert done["state"] == "JOB_STATE_SUCCEEDED", done
    assert done["tunedModel"]["model"].endswith("@1")
    listed = httpx.get(f"{emulator.parent('v1beta1')}/tuningJobs").json()
    assert [j["name"] for j in listed["tuningJobs"]] == [job["name"]]
