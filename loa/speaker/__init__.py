"""The reference loudspeaker (`loa speaker run`): what an IP loudspeaker cluster's software does.

It follows the station's signed schedule (loa/v1/radio/<station>/schedule), obeys signed emergency
play/stop commands, plays from a verified local cache through a real player, and reports its status
and an ack per item. The deciding code (protocol, plan) is pure; cache, player and runner do the I/O;
the MQTT connection lives in loa/app/speaker_mqtt.py (no paho under loa/ outside loa/app/).
"""
