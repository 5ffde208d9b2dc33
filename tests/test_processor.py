import asyncio

from telegram import Update

from bot.processor import OrderedUpdateProcessor


def _update(update_id, chat_id):
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "U"},
                "text": "hi",
            },
        },
        None,
    )


async def test_one_chat_in_order_others_concurrently():
    processor = OrderedUpdateProcessor(max_working=4)
    done = []

    async def work(update_id, delay):
        await asyncio.sleep(delay)
        done.append(update_id)

    jobs = [
        processor.process_update(_update(1, 10), work(1, 0.05)),
        processor.process_update(_update(2, 10), work(2, 0)),
        processor.process_update(_update(3, 20), work(3, 0)),
    ]
    await asyncio.gather(*(asyncio.create_task(job) for job in jobs))
    assert done == [3, 1, 2]


async def test_a_flooding_chat_holds_one_work_slot():
    processor = OrderedUpdateProcessor(max_working=2)
    release = asyncio.Event()
    other_done = asyncio.Event()

    async def slow():
        await release.wait()

    async def quick():
        other_done.set()

    flood = [asyncio.create_task(processor.process_update(_update(i, 10), slow())) for i in range(50)]
    other = asyncio.create_task(processor.process_update(_update(99, 20), quick()))
    await asyncio.wait_for(other_done.wait(), 1)
    release.set()
    await asyncio.gather(*flood, other)
