"""Bot flag from the user agent, with crawlerdetect's maintained list of crawler patterns.

Its one big regular expression costs about half a millisecond per new user agent, so the flag
is computed where clicks are written (the ingester, or the embedded direct write), never on the
redirect: it changes nothing the visitor sees. Results are cached per user agent.
"""

from functools import lru_cache

from crawlerdetect.crawlerdetect import get_compiled_crawler_regex, get_compiled_exclusions_regex


@lru_cache(maxsize=16384)
def user_agent_is_bot(user_agent: str) -> bool:
    agent = user_agent.strip()
    if not agent:
        return True  # real browsers always send one
    agent = get_compiled_exclusions_regex().sub("", agent)
    return bool(agent and get_compiled_crawler_regex().search(agent))
